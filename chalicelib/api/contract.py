"""The OpenAPI document of the API, as `GET /v1/openapi.json` and the reference page show it.

The document is the contract's twin kept beside the code, `openapi.yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SOURCE = Path(__file__).resolve().parents[2] / "openapi.yaml"


def document() -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    return loaded
