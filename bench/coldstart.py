"""Cold import of the Lambda code against a bare `import boto3` (target: ratio ≤ 1.25).

The app is imported as Lambda imports it: from its code unpacked as the function's zip holds
it, with the bytecode `infra/bytecode.py` adds, as boto3 is imported with the bytecode its
installation wrote. `import_app_from_source_ms` is the same import compiling every module
from source, as it would without that bytecode (shown, not a target).

Each figure is the median over 11 fresh interpreters, so no module is cached between runs.
The imports take turns, so that load on the machine weighs on each alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra.bytecode import add_bytecode

RUNS = 11
TARGETS = {"import_ratio": 1.25}
ROOT = Path(__file__).resolve().parent.parent
_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _import_ms(module: str, root: Path) -> float:
    """One fresh interpreter's import of `module` found on `root`, in milliseconds."""
    env = {
        **os.environ,
        "DHN_STAGE": "bench",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "PYTHONPATH": str(root),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip()) * 1000


def _function_code(into: Path, *, bytecode: bool) -> Path:
    """The app's code as the function's zip carries it, unpacked in `into`: with the bytecode
    the deployed zip has, or (`bytecode=False`) its sources alone."""
    into.mkdir()
    archive = into / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(ROOT / "app.py", "app.py")
        for path in sorted((ROOT / "chalicelib").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out.write(path, path.relative_to(ROOT).as_posix())
    if bytecode:
        add_bytecode(archive)
    unpacked = into / "task"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(unpacked)
    return unpacked


def run() -> dict[str, float]:
    deployed: list[float] = []
    source: list[float] = []
    boto3: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        code = _function_code(Path(tmp, "deployed"), bytecode=True)
        sources = _function_code(Path(tmp, "sources"), bytecode=False)
        for _ in range(RUNS):
            deployed.append(_import_ms("app", code))
            boto3.append(_import_ms("boto3", ROOT))
            source.append(_import_ms("app", sources))
    app_ms, boto3_ms = statistics.median(deployed), statistics.median(boto3)
    return {
        "import_app_ms": app_ms,
        "import_boto3_ms": boto3_ms,
        "import_ratio": app_ms / boto3_ms,
        "import_app_from_source_ms": statistics.median(source),
    }


if __name__ == "__main__":
    from bench import table

    table.main(["bench.coldstart"])
