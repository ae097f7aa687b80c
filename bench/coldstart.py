"""Cold import of the Lambda code against a bare `import boto3` (target: ratio ≤ 1.25).

Each figure is the median over 11 fresh interpreters, so no module is cached between runs.
The two imports take turns, so that load on the machine weighs on both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

RUNS = 11
TARGETS = {"import_ratio": 1.25}
ROOT = Path(__file__).resolve().parent.parent
_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _import_ms(module: str) -> float:
    """One fresh interpreter's import of `module`, in milliseconds."""
    env = {**os.environ, "DHN_STAGE": "bench", "AWS_DEFAULT_REGION": "eu-central-1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip()) * 1000


def run() -> dict[str, float]:
    app: list[float] = []
    boto3: list[float] = []
    for _ in range(RUNS):
        app.append(_import_ms("app"))
        boto3.append(_import_ms("boto3"))
    app_ms, boto3_ms = statistics.median(app), statistics.median(boto3)
    return {"import_app_ms": app_ms, "import_boto3_ms": boto3_ms, "import_ratio": app_ms / boto3_ms}


if __name__ == "__main__":
    from bench import table

    table.main(["bench.coldstart"])
