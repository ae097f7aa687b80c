"""Idempotency records (Powertools idempotency on DynamoDB), and the table they live in."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.errors import Conflict, Unprocessable
from chalicelib.store.base import TableMeta, named

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )

KEEP_SECONDS = 24 * 3600


class IdempotencyRecord(Model):
    """Declares the table in Powertools' layout; Powertools itself reads and writes it."""

    class Meta(TableMeta):
        table_name = named("idempotency")

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute()


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
