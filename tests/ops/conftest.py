"""The operator command line, run in this process on moto (`python -m ops` is the same app)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from moto import mock_aws
from typer.testing import CliRunner, Result

from chalicelib.core import clock
from chalicelib.core.clock import FixedClock
from ops.cli import app
from tests.api.conftest import NOW


@pytest.fixture
def environment() -> Iterator[None]:
    """`--stage` sets the process's environment, as it must for the stores: put it back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def aws(environment: None) -> Iterator[FixedClock]:
    """moto with every table, and a clock that stands still at NOW."""
    previous = clock.current()
    fixed = FixedClock(NOW)
    clock.use(fixed)
    with mock_aws():
        from chalicelib.store import provision

        provision.create_all()
        yield fixed
    clock.use(previous)


def ops(*args: str) -> Result:
    """`python -m ops ARGS`, with what it printed to stdout and stderr, on a terminal wide
    enough that no message is wrapped."""
    runner = CliRunner(env={"COLUMNS": "300"})
    return runner.invoke(app, list(args), catch_exceptions=False, prog_name="python -m ops")
