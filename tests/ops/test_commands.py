"""Every command explains itself, and the token commands act through the identity service as
the operator whose AWS credentials run them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import Unauthenticated
from chalicelib.services import identity
from tests.api.conftest import NOW
from tests.ops.conftest import ops

COMMANDS = [[], ["token"], ["token", "mint"], ["token", "revoke"], ["registry"], ["registry", "import"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "ops")
def test_every_command_has_help(command: list[str]) -> None:
    got = ops(*command, "--help")
    assert got.exit_code == 0, got.output
    assert "Usage: " in got.output
    assert f"Usage: python -m ops {' '.join(command)}".strip() in got.output


def printed(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


@pytest.mark.usefixtures("aws")
def test_mint_prints_a_named_8_hour_operator_token() -> None:
    got = ops("token", "mint", "Anne Weber")
    assert got.exit_code == 0, got.output
    minted = printed(got.stdout)
    assert minted["token_id"].startswith("tok_")
    assert datetime.fromisoformat(minted["expires_at"]) == NOW + timedelta(hours=8)
    caller = identity.authenticate(f"Bearer {minted['token']}", clock.current())
    assert (caller.role, caller.operator, caller.token_id) == ("operator", "Anne Weber", minted["token_id"])


@pytest.mark.usefixtures("aws")
def test_mint_wants_a_name() -> None:
    got = ops("token", "mint", " ")
    assert got.exit_code == 1
    assert "name" in got.stderr


@pytest.mark.usefixtures("aws")
def test_revoke_makes_the_token_unknown() -> None:
    issued = identity.issue_token(clock.current(), role="insurer", insurer="CNS")
    got = ops("token", "revoke", issued.token_id)
    assert got.exit_code == 0, got.output
    with pytest.raises(Unauthenticated):
        identity.authenticate(f"Bearer {issued.token}", clock.current())
    again = ops("token", "revoke", issued.token_id)
    assert again.exit_code == 1
    assert "no such token" in again.stderr


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize(
    ("args", "told"),
    [
        (["--stage", "local"], "needs --endpoint"),
        (["--stage", "prod", "--endpoint", "http://127.0.0.1:5000"], "is for the local stack"),
    ],
)
def test_the_stage_and_endpoint_must_agree(args: list[str], told: str) -> None:
    got = ops(*args, "token", "revoke", "tok_x")
    assert got.exit_code == 2
    assert told in got.stderr
