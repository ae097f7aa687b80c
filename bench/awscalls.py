"""Counting AWS calls with botocore's own event hooks: every client created while counting
gets a `before-call` handler, whichever library (boto3, PynamoDB, Powertools) made it.
Start counting before the code under test creates its (cached) clients."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Yield a counter of `service.Operation` names, filled as calls are made."""
    calls: Counter[str] = Counter()
    original = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        service = client.meta.service_model.service_name

        def before_call(model: Any, **_: Any) -> None:
            calls[f"{service}.{model.name}"] += 1

        client.meta.events.register("before-call", before_call)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]
