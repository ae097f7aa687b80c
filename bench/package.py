"""How big the Lambda deployment package is, against Lambda's limits of 50 MB zipped and
250 MB unpacked.

`python -m bench.package` prints the figures; `run()` returns them for `make bench`. The
package is what `chalice package` builds for a deployed stage, as infra/ asks for it: app.py
and chalicelib/ with their bytecode in the function's zip, the Lambda-platform wheels of
requirements.txt (the runtime only: no moto, no test tools) in a layer. Lambda's limits hold
for the function and its layers together. The first run downloads the wheels; later runs reuse
Chalice's cached layer.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from infra.bytecode import add_bytecode

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
ZIPPED_LIMIT_MB = 50
UNPACKED_LIMIT_MB = 250
STAGE = "dev"
TARGETS = {"package_zip_mb": float(ZIPPED_LIMIT_MB), "package_unpacked_mb": float(UNPACKED_LIMIT_MB)}


def package(output_dir: Path) -> list[Path]:
    """Build the stage's package as infra/ does; the paths of its zips."""
    from chalice.api import package_app

    # infra/ replaces the role of every function; packaging only needs a well-formed one.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    package_app(
        project_dir=str(ROOT),
        output_dir=str(output_dir),
        stage=STAGE,
        chalice_config={
            "automatic_layer": True,
            "manage_iam_role": False,
            "iam_role_arn": "arn:aws:iam::123456789012:role/bench",
        },
    )
    # With the bytecode infra/ adds to the function's zip (infra/bytecode.py).
    add_bytecode(output_dir / "deployment.zip")
    return [
        path for path in (output_dir / "deployment.zip", output_dir / "layer-deployment.zip") if path.exists()
    ]


def run() -> dict[str, float]:
    zipped = unpacked = 0
    shipped: set[str] = set()
    files = 0
    with tempfile.TemporaryDirectory() as out:
        for archive in package(Path(out)):
            zipped += archive.stat().st_size
            with zipfile.ZipFile(archive) as opened:
                entries = opened.infolist()
            unpacked += sum(entry.file_size for entry in entries)
            files += len(entries)
            # Layer files sit under python/lib/python3.x/site-packages/.
            shipped |= {entry.filename.split("site-packages/")[-1].split("/", 1)[0] for entry in entries}
    for tool in ("moto", "pytest", "ruff", "mypy", "aws_cdk", "checkov"):
        if tool in shipped:
            raise AssertionError(f"{tool} is in the Lambda package: it must not be shipped")
    return {
        "package_zip_mb": zipped / MB,
        "package_zip_share_of_limit_pct": 100 * zipped / (ZIPPED_LIMIT_MB * MB),
        "package_unpacked_mb": unpacked / MB,
        "package_unpacked_share_of_limit_pct": 100 * unpacked / (UNPACKED_LIMIT_MB * MB),
        "package_files": float(files),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:.2f}")
