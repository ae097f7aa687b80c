"""The access journal: every access to a patient's data by someone other than the patient,
written in the request that makes it, and the patient's (or an active relative's) reading of
it, newest first.

Services call `record` at each access the contract journals: a read before it answers, a
change before it changes anything (where it has no transaction of its own to join). When the
entry cannot be written the store's error fails the request, so nothing is answered or
changed.

Whether the patient is told (`record.accessed`) is settled in the same transaction as the
entry, by the patient's notice for that actor, so that concurrent accesses tell them once.
One access presumes the actor was seen within the interval, as most are: one transaction of
the entry and a check of the notice. When that check fails, the next transaction writes the
notice and the event with the entry. A page naming many patients reads their notices first
instead, all at once (one BatchGetItem), as most of them will not have been seen. An
emergency access (`emergency=True`: a practice opening a record in an emergency) is told at
once, every time, whatever the notice says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.domain import journal as rules
from chalicelib.domain.journal import Action, Actor, Entry, ObjectRef
from chalicelib.domain.slots import day_bounds
from chalicelib.services import relatives

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page
    from chalicelib.services.identity import Principal

# DynamoDB's limit of items in one transaction. Each patient of a chunk takes its entries and
# at most two more items (the notice and its event).
MAX_ITEMS = 100
# Each round that fails learns what the notices hold, so the second or third one succeeds
# unless other requests keep winning the same notice.
ROUNDS = 4
# Operator tokens name no person yet: every operator action is the one operator's.
OPERATOR = "operator"
# An open end of a date filter reaches as far as any entry can.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def record(
    caller: Principal,
    action: Action,
    patient: str,
    accessed: ObjectRef,
    clock: Clock,
    *,
    name: str | None = None,
    emergency: bool = False,
) -> None:
    """Journal one access by `caller` to `patient`'s data (`record_all`)."""
    record_all(caller, action, [(patient, accessed)], clock, name=name, emergency=emergency)


def record_all(
    caller: Principal,
    action: Action,
    accesses: Sequence[tuple[str, ObjectRef]],
    clock: Clock,
    *,
    name: str | None = None,
    emergency: bool = False,
) -> None:
    """Journal `caller`'s access to each (patient, object) of `accesses`; the patient's own
    accesses are not journaled. `name` is the actor's name where the caller already holds it
    (an invoice carries its practice's name), which saves reading it. An emergency access is
    told to the patient at once, whenever they were last told."""
    others = [(patient, accessed) for patient, accessed in accesses if not _own(caller, patient)]
    if others:
        _append(_actor(caller, name), action, others, clock, emergency)


def record_employer(certificate_id: str, employer_name: str | None, patient: str, clock: Clock) -> None:
    """Journal the opening of an employer's link to a certificate. The holder of the code
    has no account: the certificate names it, under the name the patient gave (API.md)."""
    ref = ObjectRef("certificate", certificate_id)
    actor = Actor("employer", certificate_id, employer_name or "employer", f"employer:{certificate_id}")
    _append(actor, "certificate.read", [(patient, ref)], clock, emergency=False)


def _append(
    actor: Actor, action: Action, accesses: Sequence[tuple[str, ObjectRef]], clock: Clock, emergency: bool
) -> None:
    from chalicelib.store import journal as store

    now = clock.now()
    entries = [Entry(ids.new_id("acc", now), p, now, actor, action, o, emergency) for p, o in accesses]
    keys = {_key(entry) for entry in entries if rules.decided_by_notice(entry)}
    covered = set(keys) if len(keys) <= 1 else store.covered(keys, now)
    for chunk in _chunks(entries):
        _write(chunk, covered, now)


def _key(entry: Entry) -> tuple[str, str]:
    """The notice that decides whether the patient is told of `entry`."""
    return entry.patient, entry.actor.ref


def _own(caller: Principal, patient: str) -> bool:
    return caller.role == "patient" and caller.matricule == patient


def _actor(caller: Principal, name: str | None) -> Actor:
    from chalicelib.store import identity

    match caller.role:
        case "doctor" | "assistant":
            code = caller.practice()
            if name is None:
                practice = identity.get_doctor(code)
                if practice is None:
                    raise NotFound("the practice of this device is not registered")
                name = practice.name
            return Actor("practice", code, name, f"practice:{code}")
        case "insurer":
            if caller.insurer is None:
                raise Forbidden()
            return Actor("insurer", caller.insurer, caller.insurer, f"insurer:{caller.insurer}")
        case "operator":
            operator = caller.operator or OPERATOR
            return Actor("operator", operator, operator, f"operator:{operator}")
        case "pharmacist":
            code = caller.pharmacy()
            if name is None:
                pharmacy = identity.get_pharmacy(code)
                if pharmacy is None:
                    raise NotFound("the pharmacy of this device is not registered")
                name = pharmacy.name
            return Actor("pharmacy", code, name, f"pharmacy:{code}")
        case "patient":
            own = relatives.matricule_of(caller)
            found = identity.get_patient(own)
            if found is None:
                raise NotFound("you are not in the registry")
            return Actor("relative", found.patient_id, found.name, f"relative:{own}")


def _chunks(entries: list[Entry]) -> list[list[Entry]]:
    """The entries in order, cut where a transaction could exceed MAX_ITEMS."""
    chunks: list[list[Entry]] = []
    patients: set[str] = set()
    for entry in entries:
        grown = patients | {entry.patient}
        if not chunks or len(chunks[-1]) + 1 + 2 * len(grown) > MAX_ITEMS:
            chunks.append([])
            grown = {entry.patient}
        chunks[-1].append(entry)
        patients = grown
    return chunks


def _write(entries: list[Entry], covered: set[tuple[str, str]], now: datetime) -> None:
    """Append the entries, telling each patient of the first access their notice does not
    cover (`covered` is what is presumed or was read of the notices), and of every emergency
    access, all in one transaction."""
    from chalicelib.store import journal as store

    # The first entry of each (patient, actor) whose telling a notice decides.
    firsts: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        if rules.decided_by_notice(entry):
            firsts.setdefault(_key(entry), entry)
    urgent = [entry for entry in entries if entry.emergency]
    keys = set(firsts)
    covered = covered & keys
    for _ in range(ROUNDS):
        first = [firsts[key] for key in sorted(keys - covered)]
        events = [rules.accessed(entry, ids.new_id("evt", now)) for entry in [*first, *urgent]]
        notices = [rules.notice(entry) for entry in first]
        if store.append(entries, covered=covered, notices=notices, events=events, at=now):
            return
        # With one notice at stake, the failed round says what it holds; with more, read them.
        covered = keys - covered if len(keys) <= 1 else store.covered(keys, now)
    raise Conflict("too many accesses to this patient's data at once; retry")


def read(
    caller: Principal,
    on_behalf_of: str | None,
    first: date | None,
    last: date | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Entry]:
    """The journal of the caller, or of a relative they may act for (that reading is itself
    journaled for the relative), newest first, from `first` to `last` (Luxembourg days, both
    included)."""
    from chalicelib.store import journal as store

    # The journal's ids carry instants from 1970 on: a bound keeps the day arithmetic inside.
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise Unprocessable.field(name, f"must be from {EARLIEST} to {LATEST}")
    if first and last and last < first:
        raise Unprocessable.field("to", "must not be before from")
    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule
    record(caller, "relative.read", patient, ObjectRef("access_log"), clock)
    since, before = day_bounds(first or EARLIEST, last or LATEST)
    return store.entries_of(patient, ids.id_range("acc", since, before), limit, cursor)
