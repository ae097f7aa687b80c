"""`media.prefers`: a route's alternative media type answers only a caller whose Accept header
names it, weighed no lower than JSON; a wildcard keeps JSON."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.api.edge.media import FHIR_JSON, prefers


class Asked:
    def __init__(self, accept: str | None) -> None:
        self.headers = {} if accept is None else {"accept": accept}


@pytest.mark.parametrize(
    ("accept", "fhir"),
    [
        (None, False),
        ("*/*", False),
        ("application/*", False),
        ("application/json", False),
        (FHIR_JSON, True),
        ("Application/FHIR+JSON", True),
        (f"application/json, {FHIR_JSON}", True),
        (f"{FHIR_JSON};q=0.5, application/json", False),
        (f"{FHIR_JSON};q=0.8, application/json;q=0.5", True),
        (f"{FHIR_JSON};q=0", False),
        (f"{FHIR_JSON}; q=0.9 ,*/*", True),
        (f"{FHIR_JSON};q=oops", True),
    ],
)
def test_fhir_is_answered_to_whoever_prefers_it(accept: str | None, fhir: bool) -> None:
    request: Any = Asked(accept)
    assert prefers(request, FHIR_JSON) is fhir
