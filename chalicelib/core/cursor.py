"""Opaque list cursors: DynamoDB's resume key, base64url-encoded JSON. Pure, shared by the
request parsing that decodes them and the stores that make them."""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.core.errors import Unprocessable


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> dict[str, Any] | None:
    """The DynamoDB start key inside a cursor; a cursor we did not make is a 422."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise not_a_cursor() from exc
    if not isinstance(key, dict) or not key or not all(_is_key_value(value) for value in key.values()):
        raise not_a_cursor()
    return key


def not_a_cursor() -> Unprocessable:
    return Unprocessable.field("cursor", "is not a cursor from a previous page")


def _is_key_value(value: Any) -> bool:
    """A key attribute as DynamoDB writes it: `{"S": "…"}` or `{"N": "…"}`."""
    return (
        isinstance(value, dict)
        and len(value) == 1
        and all(kind in {"S", "N"} and isinstance(text, str) for kind, text in value.items())
    )
