"""Importing the app (the Lambda cold start) loads no heavy library: they load on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# stdnum is light itself, but its package imports `ssl`.
HEAVY = ("pynamodb", "botocore", "boto3", "fpdf", "qrcode", "cryptography", "cwt", "cbor2", "stdnum", "ssl")
_PROBE = (
    f"import sys, app; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
)


def test_importing_the_app_loads_no_heavy_library() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def test_request_models_are_built_on_first_use() -> None:
    probe = (
        "import app, pydantic; "
        "print(' '.join(m.__qualname__ for m in pydantic.BaseModel.__subclasses__() "
        "if m.__module__.startswith('chalicelib') and m.__pydantic_complete__))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
