"""The versioned medication catalogue a prescription's items may name by code.

The catalogue ships inside the package (`medications.json`, next to this module), with its
`version` and `source`, like the nomenclature; a prescription stores the version that checked
it. A code is optional on an item (a magistral preparation has none), but a code given must be
in the catalogue, and only an "R" medicine (`repeatable`) may be prescribed with repeats.

Nothing is read at import time: `catalogue()` parses the file on first use and caches it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

_FILE = "medications.json"
_ROW_KEYS = frozenset({"code", "name", "repeatable"})


@dataclass(frozen=True)
class Medication:
    code: str
    name: str
    # An "R" medicine: it may be dispensed again on the same prescription.
    repeatable: bool


@dataclass(frozen=True)
class Catalogue:
    version: str
    source: str
    by_code: Mapping[str, Medication]

    def find(self, code: str) -> Medication | None:
        return self.by_code.get(code.strip())


def parse(text: str) -> Catalogue:
    """A catalogue from its JSON text. A malformed one is a defect of the deployed package,
    so it raises RuntimeError, never a ValueError that would pass for bad input."""
    try:
        data = json.loads(text)
        rows = [_row(row) for row in data["medications"]]
        by_code = {row.code: row for row in rows}
        if len(by_code) != len(rows):
            raise ValueError("two medications share a code")
        version, source = data["version"], data["source"]
        if not (isinstance(version, str) and version and isinstance(source, str) and source):
            raise ValueError("version and source must be text")
        return Catalogue(version, source, by_code)
    except (KeyError, TypeError, ValueError) as error:
        raise RuntimeError(f"{_FILE} is malformed: {error}") from error


def _row(row: Mapping[str, Any]) -> Medication:
    if set(row) != _ROW_KEYS:
        raise ValueError(f"a row must have exactly the keys {sorted(_ROW_KEYS)}")
    code, name, repeatable = row["code"], row["name"], row["repeatable"]
    if not (isinstance(code, str) and code == code.strip() and code and isinstance(name, str) and name):
        raise ValueError("code and name must be text without surrounding spaces")
    if not isinstance(repeatable, bool):
        raise TypeError("repeatable must be a boolean")
    return Medication(code, name, repeatable)


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue, read from inside the package on first use and then kept."""
    from importlib import resources  # a few milliseconds the cold start need not pay

    package = resources.files(__package__ or "chalicelib.domain")
    return parse(package.joinpath(_FILE).read_text(encoding="utf-8"))
