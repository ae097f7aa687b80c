"""One table of every benchmark's figures, each target and a pass/fail marker beside its figure.

Each benchmark runs in a fresh interpreter: chalicelib caches its AWS clients for the life of
a process, and `bench.awscalls` counts only the clients made while counting, so a benchmark
after another would miss calls; the cold start wants fresh processes anyway. What a benchmark
prints (the local stack's servers log every request) goes to a log, shown only if it fails.

A module's `TARGETS` maps a figure to its upper bound; its `NOTES` say what to know about a
figure when reading it. A module whose figures read better as a table of their own lays them
out with `rows(figures) -> list[str]` instead of one line per figure.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 38


def _figures(module: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        figures, log = Path(folder) / "figures.json", Path(folder) / "log"
        with log.open("wb") as output:
            done = subprocess.run(
                [sys.executable, "-m", "bench.table", "--figures-to", str(figures), module],
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                check=False,
            )
        if done.returncode:
            sys.stdout.write(log.read_text(errors="replace")[-6000:])
            raise SystemExit(f"{module} failed (exit status {done.returncode})")
        figures_read: dict[str, float] = json.loads(figures.read_text())
        return figures_read


def met(value: float, target: float | None) -> bool | None:
    """Whether a figure is within its target; None for a figure without one."""
    return None if target is None else value <= target


def verdict(value: float, target: float | None) -> str:
    """The marker beside a figure: `pass`, `FAIL`, or nothing for a figure without a target."""
    return {None: "", True: "pass", False: "FAIL"}[met(value, target)]


def _row(figure: str, value: float, target: float | None, note: str) -> str:
    bound = "" if target is None else f"≤ {target:g}"
    return f"  {figure:{WIDTH}} {value:12.2f}  {bound:>8}  {verdict(value, target):4}  {note}".rstrip()


def main(modules: list[str]) -> None:
    """Run the benchmarks one after another and print their figures as they come."""
    print(f"  {'figure':{WIDTH}} {'value':>12}  {'target':>8}  {'':4}")
    results: list[bool] = []
    began = time.perf_counter()
    for name in modules:
        module = importlib.import_module(name)
        targets: dict[str, float] = getattr(module, "TARGETS", {})
        notes: dict[str, str] = getattr(module, "NOTES", {})
        started = time.perf_counter()
        figures = _figures(name)
        title = " ".join((module.__doc__ or "").split("\n\n")[0].split())
        print(f"{name.removeprefix('bench.')} ({time.perf_counter() - started:.0f} s): {title}")
        results += [
            met(value, targets[figure]) is True for figure, value in figures.items() if figure in targets
        ]
        layout = getattr(module, "rows", None)
        lines = (
            layout(figures)
            if layout
            else [
                _row(figure, value, targets.get(figure), notes.get(figure, ""))
                for figure, value in figures.items()
            ]
        )
        for line in lines:
            print(line, flush=True)
    print(f"{results.count(True)} of {len(results)} targets met; {time.perf_counter() - began:.0f} s in all.")


def _child(argv: list[str]) -> None:
    """`--figures-to PATH MODULE`: run one benchmark here and write its figures to PATH."""
    _, path, name = argv
    figures = importlib.import_module(name).run()
    Path(path).write_text(json.dumps(figures))


if __name__ == "__main__":
    _child(sys.argv[1:])
