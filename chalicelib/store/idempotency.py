"""Idempotency records, and the table they live in.

A creating request's record commits in the transaction that makes its object (`transact`,
`refusals`): the record names the object, and a retry is answered from it. A step whose
answer no stored state gives back later (a code kept only hashed, a state that later steps
change) records that answer itself, sealed (`sealed`, `unsealed`). Other requests with a key
are recorded around their handler by Powertools (`once`), in the same table under ids of
Powertools' own form."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core import sealing
from chalicelib.core.errors import Conflict, Unprocessable
from chalicelib.domain import idempotency as keys
from chalicelib.domain.idempotency import Made, Once
from chalicelib.store import base
from chalicelib.store.base import TableMeta, named

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )

KEEP_SECONDS = 24 * 3600


class IdempotencyRecord(Model):
    """The table in Powertools' layout (Powertools reads and writes its own records), and
    the records of creating requests, which name what they made."""

    class Meta(TableMeta):
        table_name = named("idempotency")

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute()
    fingerprint = UnicodeAttribute(null=True)
    made = UnicodeAttribute(null=True)


def transact(write: Callable[[TransactWrite], None], made: Made | None) -> bool:
    """`base.transact`, with the record `made` of the request's key in the same transaction."""
    return not refusals(write, made)


def refusals(write: Callable[[TransactWrite], None], made: Made | None) -> frozenset[str]:
    """`base.refusals`, with the record `made` of the request's key in the same transaction,
    on the condition that no live record has the key. Where one has, another request with
    this key committed first: nothing was written, and it is a Conflict, which the edge
    answers from that record (`chalicelib.api.edge.replay`)."""
    if made is None:
        return base.refusals(write)

    def with_record(tx: TransactWrite) -> None:
        write(tx)
        tx.save(
            IdempotencyRecord(
                made.record_id, expiration=made.expires_at, fingerprint=made.fingerprint, made=made.made
            ),
            # A record past its time is as good as none, though DynamoDB deletes it late.
            condition=IdempotencyRecord.id.does_not_exist() | (IdempotencyRecord.expiration <= made.since),
        )

    refused = base.refusals(with_record)
    if IdempotencyRecord.Meta.table_name in refused:
        raise Conflict("a request with this Idempotency-Key has just been completed")
    return refused


def sealed(once: Once | None, answer: Callable[[], str], bound_to: str) -> Made | None:
    """The record of `once` (None without a key) for a step whose answer cannot be rebuilt
    later: it carries `answer()` itself, sealed, as what the step made. The answer may hold a
    code shown once or personal data; it is bound to the key's record and to `bound_to`, the
    object the route's path names, so it opens for no other key or object."""
    if once is None:
        return None
    return keys.made(once, sealing.seal(answer(), _binding(once, bound_to)))


def unsealed(made: str, once: Once | None, bound_to: str) -> str:
    """The answer a `sealed` record carries, for the key (`once`) and the object `bound_to`
    it was sealed for."""
    if once is None:
        raise ValueError("a sealed answer opens only for the key that recorded it")
    return sealing.unseal(made, _binding(once, bound_to))


def _binding(once: Once, bound_to: str) -> str:
    return f"{once.record_id}\n{bound_to}"


def find(record_id: str) -> Made | None:
    """The record of a creating request's key, read strongly consistent: a retry that follows
    the commit at once finds it."""
    try:
        item = IdempotencyRecord.get(record_id, consistent_read=True)
    except DoesNotExist:
        return None
    if item.made is None or item.fingerprint is None:
        return None
    return Made(item.id, item.fingerprint, item.made, item.expiration)


@functools.cache
def _persistence() -> DynamoDBPersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=IdempotencyRecord.Meta.table_name)


@functools.cache
def _config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="fingerprint",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=KEEP_SECONDS,
    )


def once(key: str, fingerprint: str, action: Callable[[], dict[str, Any]], context: Any) -> dict[str, Any]:
    """The saved answer of the first run under `key`, or the answer of running `action` now.

    `context` is the Lambda context: its remaining time bounds how long the key stays "in
    progress", so a request cut off by a timeout or a crash does not hold its key for 24 h.
    """
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=_persistence(), config=_config())
    def run(request: dict[str, str]) -> dict[str, Any]:  # noqa: ARG001 (Powertools keys on it)
        return action()

    if context is not None:
        _config().register_lambda_context(context)
    try:
        result: dict[str, Any] = run(request={"key": key, "fingerprint": fingerprint})
    except IdempotencyValidationError as exc:
        raise Unprocessable.field("Idempotency-Key", "was already used with another request") from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict("a request with this Idempotency-Key is still in progress") from exc
    return result
