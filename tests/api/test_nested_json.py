"""A body nested deeper than the JSON parser recurses is bad input: a 400 problem, never a 500,
whether the route reads it for its model or for an Idempotency-Key's fingerprint first."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.test_conventions import assert_problem

DEPTH = 100_000
BODIES = {
    "unclosed arrays": "[" * DEPTH,
    "closed arrays": "[" * DEPTH + "]" * DEPTH,
    "objects": '{"a":' * DEPTH + "1" + "}" * DEPTH,
}


@pytest.mark.parametrize("body", sorted(BODIES))
@pytest.mark.parametrize("key", [None, "nested-1"])
def test_a_deeply_nested_body_is_a_400(api: Api, body: str, key: str | None) -> None:
    doctor = api.doctor()
    headers = {"Idempotency-Key": key} if key else {}
    for path, token in (("/v1/invoices", doctor), ("/v1/devices", None)):
        got = api.post(path, token, BODIES[body], headers=headers)
        assert assert_problem(got, 400)["type"] == "urn:dhn:problem:malformed-request", path
