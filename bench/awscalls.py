"""Counting AWS calls with botocore's own event hooks: every client created while counting
gets `before-call` and `after-call` handlers, whichever library (boto3, PynamoDB, Powertools)
made it. Start counting before the code under test creates its (cached) clients; `CallCounter`
hooks the DynamoDB clients chalicelib has already made instead.

Besides the number of calls of each `service.Operation`, the hooks record the wall time spent
inside the calls (signing, transport, the stand-in, parsing) and the items DynamoDB read
(`ScannedCount` of Query and Scan answers).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session


@dataclass
class Tally:
    """AWS calls by `service.Operation`, the seconds spent inside them and the items read."""

    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    items_read: int = 0

    def of(self, service: str) -> int:
        """How many calls went to one service."""
        return sum(n for name, n in self.calls.items() if name.startswith(f"{service}."))

    def since(self, earlier: Tally) -> Tally:
        return Tally(
            self.calls - earlier.calls, self.seconds - earlier.seconds, self.items_read - earlier.items_read
        )

    def copy(self) -> Tally:
        return Tally(self.calls.copy(), self.seconds, self.items_read)


@dataclass
class Meter:
    """The running tally of a `counting()` block."""

    total: Tally = field(default_factory=Tally)
    _started: list[float] = field(default_factory=list)

    def before(self, service: str, operation: str) -> None:
        self.total.calls[f"{service}.{operation}"] += 1
        self._started.append(time.perf_counter())

    def after(self, parsed: dict[str, Any] | None) -> None:
        self.total.seconds += time.perf_counter() - self._started.pop()
        self.total.items_read += int((parsed or {}).get("ScannedCount", 0))

    @contextmanager
    def window(self) -> Iterator[Tally]:
        """A tally of the calls made inside the block, filled in when it ends."""
        earlier = self.total.copy()
        made = Tally()
        try:
            yield made
        finally:
            since = self.total.since(earlier)
            made.calls, made.seconds, made.items_read = since.calls, since.seconds, since.items_read


def metering(meter: Meter, client: Any) -> None:
    """Count the calls of one botocore client on the meter."""
    service = client.meta.service_model.service_name

    def before_call(model: Any, **_: Any) -> None:
        meter.before(service, model.name)

    def after_call(parsed: dict[str, Any] | None = None, **_: Any) -> None:
        meter.after(parsed)

    client.meta.events.register("before-call", before_call)
    client.meta.events.register("after-call", after_call)
    # A call that fails before any answer (a connection error) ends here instead.
    client.meta.events.register("after-call-error", after_call)


@contextmanager
def counting() -> Iterator[Meter]:
    """Yield a meter of the AWS calls made by every client created inside the block."""
    meter = Meter()
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        metering(meter, client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


class CallCounter:
    """The DynamoDB calls of the clients chalicelib has already made: for code whose clients
    outlive the counting, as in the tests, which share theirs across a module."""

    def __init__(self) -> None:
        self.meter = Meter()

    @property
    def calls(self) -> int:
        return self.meter.total.of("dynamodb")

    def attach(self) -> None:
        from chalicelib.store import schema
        from chalicelib.store.base import connection

        clients = [model._get_connection().connection.client for model in schema.MODELS]
        for client in {id(c): c for c in [*clients, connection().client]}.values():
            metering(self.meter, client)
