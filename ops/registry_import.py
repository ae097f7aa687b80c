"""The registry feed's bulk import: every line of a file of patients registered (or, for a
patient the registry holds already, replaced) through the registry service the API uses,
with a progress bar, resumable after an interruption, with a count of created, updated and
refused lines and a file of the refused ones with their line numbers and reasons.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from chalicelib.api.onboarding import NewPatient
from chalicelib.core.clock import Clock
from chalicelib.core.errors import DhnError
from chalicelib.services.identity import Principal
from ops import feed
from ops.checkpoint import Checkpoint, Outcome


@dataclass(frozen=True)
class Summary:
    """The import so far, over every run on the same file."""

    created: int
    updated: int
    refused: int
    lines: int
    # Why this run stopped before the end of the file, if it did.
    stopped: Literal["interrupt", "limit"] | None


@dataclass(frozen=True)
class Files:
    """The feed, and the two files the import keeps beside it."""

    feed: Path
    checkpoint: Path
    refused: Path

    @classmethod
    def beside(cls, path: Path, checkpoint: Path | None, refused: Path | None) -> Files:
        return cls(
            path,
            checkpoint or path.with_name(f"{path.name}.checkpoint"),
            refused or path.with_name(f"{path.name}.refused.jsonl"),
        )


def _apply(caller: Principal, entry: NewPatient, clock: Clock) -> Outcome:
    """Register the patient, or replace the registry's record of them: the feed sends whole
    records, as `POST` then `PUT /v1/patients/…` would. What the registry refuses (a 4xx of
    the route) refuses the line."""
    from chalicelib.services import registry

    try:
        _, created = registry.register_or_replace(caller, entry.matricule, entry.feed(), clock)
    except DhnError as exc:
        if exc.status >= 500:
            raise
        raise feed.Refused([exc.detail]) from exc
    return "created" if created else "updated"


@contextmanager
def _interruptible() -> Iterator[Callable[[], bool]]:
    """Ctrl-C asks the import to stop after the line it is on, so that line is recorded
    done; a second Ctrl-C stops it at once."""
    asked: list[int] = []

    def ask(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 (a signal handler's signature)
        if asked:
            raise KeyboardInterrupt
        asked.append(signum)

    previous = signal.signal(signal.SIGINT, ask)
    try:
        yield lambda: bool(asked)
    finally:
        signal.signal(signal.SIGINT, previous)


def run(
    files: Files,
    kind: feed.Format,
    caller: Principal,
    clock: Clock,
    console: Console,
    *,
    limit: int | None = None,
) -> Summary:
    """Import the lines not done yet, at most `limit` of them in this run, as the operator
    `caller` (each line is an operator action, journaled for its patient)."""
    total = sum(1 for _ in feed.lines(files.feed, kind))
    handled = 0
    stopped: Literal["interrupt", "limit"] | None = None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with (
        Checkpoint(files.checkpoint, feed.fingerprint(files.feed)) as checkpoint,
        _interruptible() as asked_to_stop,
        Progress(*columns, console=console) as progress,
    ):
        bar = progress.add_task("patients", total=total, completed=checkpoint.lines_done)
        for line in feed.lines(files.feed, kind):
            if line.number <= checkpoint.last_line:
                continue
            if asked_to_stop():
                stopped = "interrupt"
                break
            if limit is not None and handled >= limit:
                stopped = "limit"
                break
            try:
                outcome = _apply(caller, feed.entry(line), clock)
            except feed.Refused as refusal:
                checkpoint.done(line.number, "refused", {"reasons": refusal.reasons, "input": line.content})
            else:
                checkpoint.done(line.number, outcome)
            handled += 1
            progress.advance(bar)
        _write_refused(files.refused, checkpoint.refused)
        counts = checkpoint.counts
        done = checkpoint.lines_done
        return Summary(counts["created"], counts["updated"], counts["refused"], done, stopped)


def _write_refused(path: Path, refused: list[dict[str, object]]) -> None:
    """Every line refused so far, with its line number, reasons and content."""
    with path.open("w", encoding="utf-8") as out:
        for entry in refused:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
