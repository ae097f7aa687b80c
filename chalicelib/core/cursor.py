"""Opaque list cursors: DynamoDB's resume key, base64url-encoded JSON, and the page of a list
that carries one. Pure, shared by the request parsing that decodes them, the stores that make
them and the services that pass pages on."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chalicelib.core.errors import Unprocessable

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; `next_cursor` resumes it, None on the last page."""

    items: list[T]
    next_cursor: str | None

    def map(self, record: Callable[[T], U]) -> Page[U]:
        """The same page with each item replaced by `record(item)`: how a store turns the
        items it read into the records it returns."""
        return Page([record(item) for item in self.items], self.next_cursor)


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
