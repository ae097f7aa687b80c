"""The registry feed as a file: one patient per line, in JSON Lines or CSV, each read and
validated exactly as `POST /v1/patients` reads its body, with the same pydantic model, so a
field the route learns is a field the import learns.

JSON Lines: each line a JSON object, the route's body; blank lines are skipped. CSV: a header
row of the body's field names, then one patient per row; cells are text, which the model
reads in its lax mode (`true`/`false` for booleans), and an empty cell leaves its field out.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError

from chalicelib.api.edge import Call
from chalicelib.api.edge.problems import unprocessable
from chalicelib.api.onboarding import NewPatient
from chalicelib.core.errors import DhnError, Unprocessable


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


_SUFFIXES = {".jsonl": Format.jsonl, ".ndjson": Format.jsonl, ".csv": Format.csv}
_BEYOND_HEADER = "cells beyond the header"


@dataclass(frozen=True)
class Line:
    """One patient of the file: where it is (its line, 1 for the first) and what it says."""

    number: int
    # The line's text (JSON Lines), or its cells by column (CSV).
    content: str | dict[str, str]


class Refused(Exception):
    """A line the route would answer 4xx, with the reasons it would give."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def format_of(path: Path, given: Format | None) -> Format:
    if given is not None:
        return given
    try:
        return _SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"cannot tell the format of {path.name}: name it with --format") from None


def fingerprint(path: Path) -> str:
    """The file's SHA-256: a checkpoint resumes the very file it was made for."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def lines(path: Path, kind: Format) -> Iterator[Line]:
    with path.open(encoding="utf-8", newline="") as data:
        if kind is Format.jsonl:
            for number, text in enumerate(data, start=1):
                if text.strip():
                    yield Line(number, text.rstrip("\r\n"))
            return
        # Cells beyond the header's come as one more field, which the model refuses as it
        # refuses any field it does not know.
        rows = csv.DictReader(data, restkey=_BEYOND_HEADER)
        for row in rows:
            cells = {
                name: cell if isinstance(cell, str) else ",".join(cell)
                for name, cell in row.items()
                if cell not in (None, "")
            }
            yield Line(rows.line_num, cells)


def entry(line: Line) -> NewPatient:
    """The patient the line describes, as the route takes it, or Refused with the route's
    own reasons."""
    try:
        if isinstance(line.content, str):
            body = Call(None, {}, {}, line.content.encode(), body_model=NewPatient).body(NewPatient)
        else:
            body = _cells(line.content)
    except Unprocessable as exc:
        raise Refused([f"{e.field}: {e.message}" for e in exc.errors] or [exc.detail]) from exc
    except DhnError as exc:
        raise Refused([exc.detail]) from exc
    return body


def _cells(cells: dict[str, str]) -> NewPatient:
    """A CSV row: its cells are all text, so the model reads them in its lax mode (`true` a
    boolean), where a body's JSON is read strictly; the reasons are the route's own."""
    try:
        return NewPatient.model_validate(cells)
    except ValidationError as exc:
        raise unprocessable(exc) from exc
