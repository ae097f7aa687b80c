"""An event as the outbox keeps it: what happened, when, and whom it concerns; and what
becomes of an event that cannot be relayed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """One change to report by webhook. `patient` and `doctor_code` say whose endpoints
    receive it, so the dispatcher finds them with one query each. Where `patient` is told as
    a relative acting for another patient, `on_behalf_of` names that patient: the dispatcher
    routes the event only while the link still holds."""

    event_id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    patient: str | None = None
    doctor_code: str | None = None
    on_behalf_of: str | None = None


@dataclass(frozen=True)
class DeadEvent:
    """An outbox event the relay set aside, with the error that made it give up. It stays
    (without its payload, which the outbox keeps) until an operator replays it."""

    event_id: str
    error: str
    failures: int
    dead_at: datetime


class UnreadableEvent(Exception):
    """A stored event that is not an `Event` (a field missing or malformed): no number of
    tries will relay it."""

    def __init__(self, event_id: str, reason: str) -> None:
        super().__init__(reason)
        self.event_id = event_id
        self.reason = reason
