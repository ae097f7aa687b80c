"""What every table model shares: where the table lives and how pages are cut."""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from chalicelib.core import config, cursor
from chalicelib.core.cursor import Page
from chalicelib.core.errors import Conflict

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
    results: ResultIterator[MM],
    model: type[MM],
    limit: int,
    private: tuple[str, ...] = (),
    keep: Callable[[MM], bool] | None = None,
    budget: int = READ_BUDGET,
) -> Page[MM]:
    """One page of a query with a filter: a single Query call that reads at most READ_BUDGET
    items and keeps the first `limit` of those that match (the query's filter, then `keep`,
    a rule no filter expression states). Where fewer match, the page is short, possibly
    empty, and its cursor resumes right after the last item read (after the last one kept,
    on a full page): a sparse filter costs the caller more pages, never one unbounded read.
    `private` as for `page_of`; `budget` lowers the most items read where most will match."""
    pages = results.page_iter
    pages.page_size = min(budget, READ_BUDGET)
    read = [(raw, model.from_raw_data(raw)) for raw in next(pages).get("Items", [])]
    matched = [(raw, item) for raw, item in read if keep is None or keep(item)]
    kept = matched[:limit]
    last: dict[str, Any] | None
    if len(matched) > limit:
        last = {name: kept[-1][0][name] for name in pages.key_names}
    else:
        last = pages.last_evaluated_key
    return Page([item for _, item in kept], _cursor(last, private))


def _cursor(last: dict[str, Any] | None, private: tuple[str, ...]) -> str | None:
    if last:
        last = {name: value for name, value in last.items() if name not in private}
    return cursor.encode(last)


# A transaction that DynamoDB cancels because another one touched the same items at the same
# moment (`TransactionConflict`), or because of throttling, lost nothing: it is tried again
# after a pause with full jitter, at most this many times in all, then answered 409.
TRANSACTION_ATTEMPTS = 4
_RETRY_PAUSE_SECONDS = 0.025
_COLLISIONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
# The same, said of the whole request rather than of its items.
_BUSY = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
    }
)


def transact(write: Callable[[TransactWrite], None]) -> bool:
    """Write what `write` adds to a transaction, all or nothing: True when it committed, False
    when one of its conditions did not hold (a race lost to another request, which the caller
    answers). Collisions and throttling are retried as `refusals` says."""
    return not refusals(write)


def refusals(write: Callable[[TransactWrite], None]) -> frozenset[str]:
    """Write what `write` adds to a transaction, all or nothing: the tables whose items' own
    conditions did not hold, so a caller tells which race it lost (none when it committed).
    A collision or throttling is retried after a pause with full jitter, under one
    ClientRequestToken, so an attempt that committed although its answer was lost is not
    applied twice; past the attempts it is a Conflict (409), never a 500."""
    token = uuid.uuid4().hex
    for attempt in range(TRANSACTION_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, _RETRY_PAUSE_SECONDS * 2**attempt))  # noqa: S311 (jitter)
        tx = TransactWrite(connection=connection(), client_request_token=token)
        try:
            with tx:
                write(tx)
        except TransactWriteError as exc:
            refused = _refused_tables(tx, exc)
            if refused:
                return refused
            if not collided(exc):
                raise
        else:
            return frozenset()
    raise Conflict("these records are being changed by other requests at this moment; retry")


def _refused_tables(tx: TransactWrite, error: TransactWriteError) -> frozenset[str]:
    # DynamoDB gives one cancellation reason per item, in the order the items were sent,
    # which is PynamoDB's (`Connection.transact_write_items`): checks, deletes, puts, updates.
    groups = (tx._condition_check_items, tx._delete_items, tx._put_items, tx._update_items)
    tables = [str(item["TableName"]) for group in groups for item in group]
    reasons = error.cancellation_reasons or []
    return frozenset(
        table
        for table, reason in zip(tables, reasons, strict=False)
        if reason is not None and reason.code == "ConditionalCheckFailed"
    )


def collided(error: TransactWriteError) -> bool:
    """Whether a transaction was cancelled by a collision with another or by throttling,
    and by nothing else."""
    if error.cause_response_code in _BUSY:
        return True
    codes = {reason.code for reason in error.cancellation_reasons or [] if reason is not None}
    return bool(codes) and codes <= _COLLISIONS


@functools.cache
def connection() -> Connection:
    """For transactions, which span tables and so belong to no one model."""
    return Connection(region=config.region())
