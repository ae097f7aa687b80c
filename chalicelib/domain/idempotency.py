"""The idempotency key of a creating request, as the transaction that creates its object
records it, and the rule that says when a record answers a request again.

A creating request sent with an `Idempotency-Key` carries a `Once` from the edge down to the
store that writes what it creates. That store's transaction puts the key's record, naming
the object made, on the condition that no live record has the key: the object and the record
commit together or not at all, so a retry after a crash at any point either finds the record
(and is answered from the object it names) or finds nothing written and runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# How long a key answers with its first answer, as the contract says.
KEPT = timedelta(hours=24)


@dataclass(frozen=True)
class Once:
    """One creating request's key: `record_id` names its record (a digest of the caller and
    the key, so no key or caller appears in the table), `fingerprint` the request itself
    (method, path and body), `at` when it was received."""

    record_id: str
    fingerprint: str
    at: datetime


@dataclass(frozen=True)
class Made:
    """A key's record: the request (`fingerprint`) that made an object, and which (`made`,
    its id), kept until `expires_at`. A step whose answer cannot be rebuilt from the object
    later has its answer itself as `made`, sealed (`store.idempotency.sealed`)."""

    record_id: str
    fingerprint: str
    made: str
    expires_at: datetime

    @property
    def since(self) -> datetime:
        return self.expires_at - KEPT


def made(once: Once | None, object_id: str) -> Made | None:
    """The record a creating transaction puts for `once` with the object it makes; None for a
    request sent without a key."""
    if once is None:
        return None
    return Made(once.record_id, once.fingerprint, object_id, once.at + KEPT)


def answers(record: Made | None, at: datetime) -> Made | None:
    """The record, while it still answers for its key at `at`; a record past its 24 hours is
    as good as none (DynamoDB deletes expired items late, so the condition reads this too)."""
    return record if record is not None and record.expires_at > at else None
