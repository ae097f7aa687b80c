"""Opaque, prefixed, time-sortable identifiers (`inv_01K…`): a ULID behind a type prefix."""

from __future__ import annotations

import math
import secrets
from datetime import datetime
from typing import Literal

Prefix = Literal[
    "inv",
    "clm",
    "apt",
    "doc",
    "dev",
    "whk",
    "dlv",
    "evt",
    "pay",
    "tok",
    "pat",
    "lnk",
    "acc",
    "rx",
    "cit",
    "vac",
]


def new_id(prefix: Prefix, at: datetime) -> str:
    """A new id whose order follows `at`, so sorting by id sorts by creation time."""
    from ulid import ULID  # here: python-ulid's import reads package metadata, slow at cold start

    return f"{prefix}_{ULID.from_datetime(at)}"


def id_range(prefix: Prefix, since: datetime, before: datetime) -> tuple[str, str]:
    """The lowest and the highest id `new_id` can make from `since` up to, not including,
    `before`: the bounds of a key condition that reads a span of time."""
    from ulid import ULID

    first = math.floor(since.timestamp() * 1000)
    last = math.ceil(before.timestamp() * 1000) - 1
    low = ULID.from_bytes(first.to_bytes(6, "big") + bytes(10))
    high = ULID.from_bytes(last.to_bytes(6, "big") + b"\xff" * 10)
    return f"{prefix}_{low}", f"{prefix}_{high}"


def has_prefix(value: str, prefix: Prefix) -> bool:
    """Whether `value` looks like one of our ids of that kind (cheap, before any lookup)."""
    head, _, body = value.partition("_")
    if head != prefix or len(body) != 26:
        return False
    from ulid import ULID

    try:
        ULID.from_str(body)
    except ValueError:
        return False
    return True


def random_secret() -> str:
    """256 bits of randomness in base64url (43 characters), for a bearer token: only a hash
    of the token is ever stored."""
    return secrets.token_urlsafe(32)
