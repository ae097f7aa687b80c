"""Importing the app (the Lambda cold start) loads no heavy library, no service and builds no
request model's validator: they load on first use (chalicelib/README.md, "What importing the
app may cost"). bench/coldstart.py measures the time; these tests say what must not be loaded
or built, so that a new blueprint importing its service at module level fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# stdnum is light itself, but its package imports `ssl`; `email` loads `socket` and more.
HEAVY = (
    "pynamodb",
    "botocore",
    "boto3",
    "fpdf",
    "fontTools",
    "PIL",
    "qrcode",
    "cryptography",
    "cwt",
    "cbor2",
    "stdnum",
    "ssl",
    "email",
    "holidays",
    "fhir",
    "aws_lambda_powertools",
)
# The layers below the blueprints, which do the work: a handler imports them when it runs. The
# answers' models and the contract are for `python -m chalicelib.api.contract` and the docs.
LAZY = (
    "chalicelib.services",
    "chalicelib.store",
    "chalicelib.render",
    "chalicelib.api.answers",
    "chalicelib.api.contract",
)
# The kinds' records: a frozen dataclass is made with generated code, most of a millisecond
# each, so a blueprint reaches them in its handlers; its requests' shapes use the kind's terms.
RECORDS = (
    "chalicelib.domain.certificates",
    "chalicelib.domain.claims",
    "chalicelib.domain.events",
    "chalicelib.domain.identity",
    "chalicelib.domain.idempotency",
    "chalicelib.domain.prescriptions",
    "chalicelib.domain.record_access",
    "chalicelib.domain.slots",
    "chalicelib.domain.vaccinations",
    "chalicelib.domain.webhooks",
)


def _after_import_app(code: str) -> list[str]:
    """The words that `code` prints in a fresh interpreter that has imported only the app."""
    probe = f"import sys, app\n{code}"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_importing_the_app_loads_no_heavy_library() -> None:
    code = f"print(*sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    assert _after_import_app(code) == []


def test_importing_the_app_loads_no_service_store_renderer_or_contract() -> None:
    code = f"print(*sorted(m for m in sys.modules if m.startswith({LAZY!r})))"
    assert _after_import_app(code) == []


def test_importing_the_app_makes_no_record_of_a_kind() -> None:
    code = f"print(*sorted(m for m in sys.modules if m in {RECORDS!r}))"
    assert _after_import_app(code) == []


_MODELS = """
from pydantic import BaseModel

def below(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from below(sub)

models = [m for m in below(BaseModel) if m.__module__.startswith("chalicelib.")]
"""


def test_request_models_are_built_on_first_use() -> None:
    # Every model at any depth below BaseModel (Body, Query, then ListQuery and its own…),
    # and there are models to look at: the blueprints' bodies and queries.
    assert int(_after_import_app(f"{_MODELS}\nprint(len(models))")[0]) > 20
    built = f"{_MODELS}\nprint(*(m.__qualname__ for m in models if m.__pydantic_complete__))"
    assert _after_import_app(built) == []


def test_importing_the_app_builds_no_type_adapter() -> None:
    # A TypeAdapter builds its validator as it is made, which defer_build cannot put off.
    assert _after_import_app("print(*(m for m in sys.modules if m == 'pydantic.type_adapter'))") == []
