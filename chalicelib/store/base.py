"""What every table model shares: where the table lives and how pages are cut."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator

from chalicelib.core import config, cursor
from chalicelib.core.cursor import Page

M = TypeVar("M")
MM = TypeVar("MM", bound=Model)

# The most items one page of a filtered list reads, whatever share of them match the filter.
READ_BUDGET = 200


class _Deferred:
    """A Meta setting read from the environment whenever PynamoDB reads it, not once when the
    model's module is imported: importing a store fixes no stage or region, and the next call
    after a change of stage goes to that stage's table (PynamoDB builds a new connection when
    `Meta.table_name` no longer matches the one it holds)."""

    def __init__(self, read: Callable[[], str]) -> None:
        self._read = read

    def __get__(self, instance: object, owner: type | None = None) -> str:
        return self._read()


class TableMeta:
    """Base of every model's Meta: on demand, in our region (read when PynamoDB first
    connects); the endpoint comes from botocore's own `AWS_ENDPOINT_URL`, which the local
    stack points at moto."""

    region = _Deferred(config.region)
    billing_mode = "PAY_PER_REQUEST"


def named(short: str) -> _Deferred:
    """A model's `Meta.table_name`: the stage's physical name of table `short`."""
    return _Deferred(functools.partial(config.table_name, short))


def resume(
    start: dict[str, Any] | None,
    model: type[Model],
    index: GlobalSecondaryIndex[Any] | None = None,
    *,
    private: tuple[str, ...] = (),
    **partition: str,
) -> dict[str, Any] | None:
    """The start key of a query, checked against that query: exactly the key attributes of
    the table and the index, with their types, in the partition being read. DynamoDB answers
    any other start key with an error, and a cursor of another practice's or patient's list
    must not resume this one: both are the caller's mistake, a 422. The partition attributes
    named in `private` were kept out of the cursor (`page_of`) and are put back here."""
    if start is None:
        return None
    start = {**start, **{name: {"S": partition[name]} for name in private}}
    attributes = [*model.get_attributes().values(), *(index.Meta.attributes.values() if index else [])]
    expected = {a.attr_name: a.attr_type for a in attributes if a.is_hash_key or a.is_range_key}
    given = {
        name: next(iter(value), None) if isinstance(value, dict) else None for name, value in start.items()
    }
    if given != expected or any(start[name] != {"S": value} for name, value in partition.items()):
        raise cursor.not_a_cursor()
    return start


def within(
    start: dict[str, Any] | None, sort_key: str, bounds: tuple[str, str] | None
) -> dict[str, Any] | None:
    """A start key checked by `resume`, checked again against the bounds the query puts on its
    sort key (as stored: strings that sort as their values do). DynamoDB answers a start key
    outside the key condition with an error, and a cursor of another period must not resume
    this one: the caller's mistake, a 422."""
    if start is not None and bounds is not None and not bounds[0] <= start[sort_key]["S"] <= bounds[1]:
        raise cursor.not_a_cursor()
    return start


def page_of(results: ResultIterator[M], limit: int, private: tuple[str, ...] = ()) -> Page[M]:
    """Drain a PynamoDB result iterator that was given `limit`, keeping where to resume. Key
    attributes named in `private` (personal data) stay out of the cursor; the caller knows
    them and puts them back when it resumes."""
    items = list(results)
    return Page(items, _cursor(results.last_evaluated_key if len(items) >= limit else None, private))


def filtered_page(
    results: ResultIterator[MM], model: type[MM], limit: int, private: tuple[str, ...] = ()
) -> Page[MM]:
    """One page of a query with a filter: a single Query call that reads at most READ_BUDGET
    items and keeps the first `limit` of those that match. Where fewer match, the page is
    short, possibly empty, and its cursor resumes right after the last item read (after the
    last one kept, on a full page): a sparse filter costs the caller more pages, never one
    unbounded read. `private` as for `page_of`."""
    pages = results.page_iter
    pages.page_size = READ_BUDGET
    matched = next(pages).get("Items", [])
    kept = matched[:limit]
    last: dict[str, Any] | None
    if len(matched) > limit:
        last = {name: kept[-1][name] for name in pages.key_names}
    else:
        last = pages.last_evaluated_key
    return Page([model.from_raw_data(item) for item in kept], _cursor(last, private))


def _cursor(last: dict[str, Any] | None, private: tuple[str, ...]) -> str | None:
    if last:
        last = {name: value for name, value in last.items() if name not in private}
    return cursor.encode(last)


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
    return Connection(region=config.region())
