"""Cold import of the Lambda code against a bare `import boto3` (target: ratio ≤ 1.5).

Each figure is the median over fresh interpreters, so no module is cached between runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

RUNS = 7
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
    # The two imports take turns, so a change in the machine's load weighs on both alike
    # instead of on whichever ran while it lasted.
    app_runs, boto3_runs = [], []
    for _ in range(RUNS):
        app_runs.append(_import_ms("app"))
        boto3_runs.append(_import_ms("boto3"))
    app_ms, boto3_ms = statistics.median(app_runs), statistics.median(boto3_runs)
    return {
        "import_app_ms": app_ms,
        "import_boto3_ms": boto3_ms,
        "import_ratio": app_ms / boto3_ms,
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:32} {value:10.2f}")
