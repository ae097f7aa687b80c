"""What every table model shares: where the table lives and how pages are cut."""

from __future__ import annotations

import base64
import functools
import json
import os
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator

from chalicelib import config
from chalicelib.errors import Unprocessable

T = TypeVar("T")
M = TypeVar("M")


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1"


class TableMeta:
    """Base of every model's Meta: on demand, in our region; the endpoint comes from
    botocore's own `AWS_ENDPOINT_URL`, which the local stack points at moto."""

    region = region()
    billing_mode = "PAY_PER_REQUEST"


def named(short: str) -> str:
    return config.table_name(short)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The DynamoDB start key inside a cursor; a cursor we did not make is a 422."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _not_a_cursor() from exc
    if not isinstance(key, dict) or not key or not all(_is_key_value(value) for value in key.values()):
        raise _not_a_cursor()
    return key


def _not_a_cursor() -> Unprocessable:
    return Unprocessable.field("cursor", "is not a cursor from a previous page")


def _is_key_value(value: Any) -> bool:
    """A key attribute as DynamoDB writes it: `{"S": "…"}` or `{"N": "…"}`."""
    return (
        isinstance(value, dict)
        and len(value) == 1
        and all(kind in {"S", "N"} and isinstance(text, str) for kind, text in value.items())
    )


def resume(
    start: dict[str, Any] | None,
    model: type[Model],
    index: GlobalSecondaryIndex[Any] | None = None,
    **partition: str,
) -> dict[str, Any] | None:
    """The start key of a query, checked against that query: exactly the key attributes of
    the table and the index, with their types, in the partition being read. DynamoDB answers
    any other start key with an error, and a cursor of another practice's or patient's list
    must not resume this one: both are the caller's mistake, a 422."""
    if start is None:
        return None
    attributes = [*model.get_attributes().values(), *(index.Meta.attributes.values() if index else [])]
    expected = {a.attr_name: a.attr_type for a in attributes if a.is_hash_key or a.is_range_key}
    given = {name: next(iter(value)) for name, value in start.items()}
    if given != expected or any(start[name] != {"S": value} for name, value in partition.items()):
        raise _not_a_cursor()
    return start


def page_of(results: ResultIterator[M], limit: int, private: tuple[str, ...] = ()) -> Page[M]:
    """Drain a PynamoDB result iterator that was given `limit`, keeping where to resume. Key
    attributes named in `private` (personal data) stay out of the cursor; the caller knows
    them and puts them back when it resumes."""
    items = list(results)
    last = results.last_evaluated_key if len(items) >= limit else None
    if last:
        last = {name: value for name, value in last.items() if name not in private}
    return Page(items, encode_cursor(last))


def condition_failed(error: TransactWriteError) -> bool:
    """Whether a transaction was cancelled because a condition did not hold. Our transactions
    put a condition on one item only, so this names the cause without relying on the order in
    which PynamoDB sends the items."""
    return any(
        reason is not None and reason.code == "ConditionalCheckFailed"
        for reason in error.cancellation_reasons or []
    )


@functools.cache
def connection() -> Connection:
    """For transactions, which span tables and so belong to no one model."""
    return Connection(region=region())
