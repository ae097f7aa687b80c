"""Where a bulk import stands: what became of each line done so far, one JSON line each,
appended and flushed as each line is done. A rerun after Ctrl-C, or after a crash, continues
after the last line done and counts nothing twice.

The first entry names the file it belongs to by its SHA-256, so a checkpoint never resumes
another file, or a changed one. An entry cut short by a crash while it was written is
dropped: its line is simply done again.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

Outcome = Literal["created", "updated", "refused"]


class StaleCheckpoint(Exception):
    """The checkpoint belongs to another file, or to another version of this one."""


class Checkpoint:
    def __init__(self, path: Path, source: str) -> None:
        """Resume the checkpoint at `path` if there is one for `source` (a file's
        fingerprint), else start one."""
        self.path = path
        self.last_line = 0
        self.counts: Counter[Outcome] = Counter()
        self.refused: list[dict[str, Any]] = []
        entries = _complete_entries(path)
        if entries and entries[0].get("source") != source:
            raise StaleCheckpoint(f"{path} belongs to another file, or another version of this one")
        for entry in entries[1:]:
            self._count(entry)
        self._out = path.open("a", encoding="utf-8")
        if not entries:
            self._append({"source": source})

    @property
    def lines_done(self) -> int:
        return sum(self.counts.values())

    def done(self, line: int, outcome: Outcome, refusal: dict[str, Any] | None = None) -> None:
        """Line `line` is done; a refused line keeps its reasons and content in `refusal`."""
        entry: dict[str, Any] = {"line": line, "outcome": outcome, **(refusal or {})}
        self._append(entry)
        self._count(entry)

    def _count(self, entry: dict[str, Any]) -> None:
        self.last_line = max(self.last_line, int(entry["line"]))
        self.counts[entry["outcome"]] += 1
        if entry["outcome"] == "refused":
            self.refused.append({k: v for k, v in entry.items() if k != "outcome"})

    def _append(self, entry: dict[str, Any]) -> None:
        self._out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        # Into the operating system's hands at once: a killed process loses nothing written.
        self._out.flush()

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _complete_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of the checkpoint at `path`, the file cut back to the last whole one."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    whole = raw[: raw.rfind(b"\n") + 1]
    if len(whole) != len(raw):
        with path.open("r+b") as data:
            data.truncate(len(whole))
    return [json.loads(text) for text in whole.decode("utf-8").splitlines()]
