"""The versioned nomenclature: which act codes may be billed, at which tariff, on which date.

The table ships inside the package (`nomenclature.json`, next to this module) so that an
invoice is priced by the code that is deployed, and the `version` stored with an invoice
says which table priced it. One code may have several rows: each tariff change (index
tranche, revaluation of the lettre-clé) adds a row with its `valid_from`, and the row in
force on a service date is the one with the latest `valid_from` on or before that date.

Nothing is read at import time: `table()` parses the file on first use and caches it,
because cold start is the latency users feel.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

_FILE = "nomenclature.json"
_ROW_KEYS = frozenset({"code", "label", "tariff_cents", "valid_from", "reimbursable"})


@dataclass(frozen=True)
class Act:
    """One row of the nomenclature: a code at the tariff in force from `valid_from`."""

    code: str
    label: str
    tariff_cents: int
    valid_from: date
    reimbursable: bool


def _key(code: str) -> str:
    """Codes are matched case-insensitively, surrounding whitespace ignored (`" c1 "` is C1)."""
    return code.strip().upper()


@dataclass(frozen=True)
class Nomenclature:
    """A whole table: its version, where its tariffs come from, and its rows."""

    version: str
    source: str
    acts: tuple[Act, ...]
    # Rows of each code, oldest first; built once so that a lookup is a dict access and a
    # bisection, never a scan of the table.
    _by_code: Mapping[str, tuple[Act, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[Act]] = {}
        for row in self.acts:
            grouped.setdefault(row.code, []).append(row)
        by_code: dict[str, tuple[Act, ...]] = {}
        for code, rows in grouped.items():
            rows.sort(key=lambda row: row.valid_from)
            starts = [row.valid_from for row in rows]
            if len(set(starts)) != len(starts):
                raise RuntimeError(f"{_FILE}: two rows of {code} share a valid_from")
            by_code[code] = tuple(rows)
        object.__setattr__(self, "_by_code", by_code)

    def act(self, code: str, on: date) -> Act:
        """The row of `code` in force on `on`, or ValueError naming which rule failed."""
        rows = self._by_code.get(_key(code))
        if rows is None:
            raise ValueError("unknown code")
        index = bisect_right(rows, on, key=lambda row: row.valid_from)
        if index == 0:
            raise ValueError("not valid on the service date")
        return rows[index - 1]


def parse(text: str) -> Nomenclature:
    """A table from its JSON text.

    A malformed table is a defect of the deployed package, not bad input from a caller, so
    it raises RuntimeError: a ValueError here would be mistaken for an invalid request and
    answered with a 422.
    """
    try:
        data = json.loads(text)
        return Nomenclature(
            version=_text(data, "version"),
            source=_text(data, "source"),
            acts=tuple(_act(row) for row in data["acts"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RuntimeError(f"{_FILE} is malformed: {error}") from error


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    if not value.strip():
        raise ValueError(f"{key} must not be empty")
    return value


def _act(row: Mapping[str, Any]) -> Act:
    if set(row) != _ROW_KEYS:
        raise ValueError(f"a row must have exactly the keys {sorted(_ROW_KEYS)}")
    tariff = row["tariff_cents"]
    # bool is a subclass of int: `true` must not pass for a tariff of 1 cent.
    if not isinstance(tariff, int) or isinstance(tariff, bool):
        raise TypeError("tariff_cents must be an integer")
    if tariff < 0:
        raise ValueError("tariff_cents must not be negative")
    if not isinstance(row["reimbursable"], bool):
        raise TypeError("reimbursable must be a boolean")
    code = _text(row, "code")
    if code != _key(code):
        raise ValueError("codes must be upper case without surrounding spaces")
    return Act(
        code=code,
        label=_text(row, "label"),
        tariff_cents=tariff,
        valid_from=date.fromisoformat(_text(row, "valid_from")),
        reimbursable=row["reimbursable"],
    )


@cache
def table() -> Nomenclature:
    """The shipped table, read from inside the package on first use and then kept."""
    package = resources.files(__package__ or "chalicelib.domain")
    text = package.joinpath(_FILE).read_text(encoding="utf-8")
    return parse(text)


def act(code: str, on: date) -> Act:
    """The row of `code` in force on the service date `on` in the shipped table."""
    return table().act(code, on)
