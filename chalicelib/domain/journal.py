"""The access journal as plain records and rules: who read or changed a patient's data, how and
when, and when the patient is told of it (`record.accessed`).

An entry is written in the request that made the access and never changed afterwards. The
patient is told of an actor's reads once in `NOTICE_INTERVAL` (at the first of them), and of
every emergency access at once; a `Notice` remembers that they were told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.events import Event

ActorKind = Literal["practice", "pharmacy", "insurer", "employer", "operator", "relative"]
Action = Literal[
    "status.lookup",
    "invoice.read",
    "invoice.scan",
    "claim.read",
    "record.search",
    "document.read",
    "prescription.accept",
    "prescription.dispense",
    "certificate.read",
    "vaccination.read",
    "relative.read",
    "operator.update",
    "operator.token",
    "document.upload",
    "record.update",
]

NOTICE_INTERVAL = timedelta(days=30)
# What an operator does about a patient is journaled, but it reads nothing of their data: the
# patient is told of reads only.
UNTOLD: frozenset[Action] = frozenset({"operator.update", "operator.token"})


@dataclass(frozen=True)
class Actor:
    """Who accessed, as the patient is shown them (`kind`, `id`, `name`), and `ref`, which
    tells actors apart inside DHN: the patient's notices are kept per `ref`."""

    kind: ActorKind
    # The doctor code, insurer code, operator name or relative's patient_id: a relative's
    # matricule is never shown. None for an entry written before patients had ids.
    id: str | None
    name: str
    # `kind:id`, and for a relative `relative:<matricule>`.
    ref: str


@dataclass(frozen=True)
class ObjectRef:
    """What was accessed: an invoice, a claim, a document… `id` is None where the access
    was to a list, or to the patient as a whole (a status lookup, a registry update)."""

    type: str
    id: str | None = None


@dataclass(frozen=True)
class Entry:
    access_id: str
    # The patient's matricule, as their own token names them; no answer carries it.
    patient: str
    at: datetime
    actor: Actor
    action: Action
    object: ObjectRef
    emergency: bool = False


@dataclass(frozen=True)
class Notice:
    """The patient was told of `actor_ref`'s access, and need not be told again before
    `until`."""

    patient: str
    actor_ref: str
    until: datetime


def decided_by_notice(entry: Entry) -> bool:
    """Whether the patient's notice for the actor decides if they are told of `entry`: they
    are told of an emergency access always, and of an operator's action (UNTOLD) never."""
    return not entry.emergency and entry.action not in UNTOLD


def notice(entry: Entry) -> Notice:
    """The notice that telling the patient of `entry` leaves behind."""
    return Notice(entry.patient, entry.actor.ref, entry.at + NOTICE_INTERVAL)


def accessed(entry: Entry, event_id: str) -> Event:
    """`record.accessed`, to the patient alone: the entry as the journal shows it."""
    return Event(
        event_id,
        "record.accessed",
        entry.at,
        {
            "access_id": entry.access_id,
            "at": rfc3339(entry.at),
            "actor": {"kind": entry.actor.kind, "id": entry.actor.id, "name": entry.actor.name},
            "action": entry.action,
            "object": {"type": entry.object.type, "id": entry.object.id},
            "emergency": entry.emergency,
        },
        patient=entry.patient,
    )
