"""The vaccination booklet: a doctor records a vaccination, a patient (or a guardian, or
another relative who may act for them) declares one received abroad, reads the booklet and
its recommendations, prints it; a professional reads them; and the reminder job tells the
patient and a child's guardians when a dose falls due, once per dose.

A doctor's entry is a kind of signed document (`ENTRY`): it takes the path of
`services.signed_documents`, with a one-page PDF in the patient's vault. A declared entry is
the patient's word: it is stored with the booklet, unsigned (`domain.vaccinations`).

Every entry is written with the patient's watch (`store.vaccinations`), the next day a dose
falls due, so the reminder job finds the patients it has to look at in an index by day.

The schedule engine (`domain.vaccination_schedule`) is imported inside the functions that
read it, like the stores: a cold start that serves no booklet does not pay for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.core.time_budget import TimeBudget
from chalicelib.domain import matricule as matricules
from chalicelib.domain import relatives as relative_rules
from chalicelib.domain.calendar import local_date
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.journal import ObjectRef
from chalicelib.domain.registry import Patient
from chalicelib.domain.vaccinations import EntryClaims, Recorder, Vaccination, Watch
from chalicelib.services import journal, relatives, signed_documents
from chalicelib.services.identity import Principal
from chalicelib.services.signed_documents import VaultCopy

if TYPE_CHECKING:
    from chalicelib.domain.vaccination_schedule import Recommendation, Reminder

# An entry and the watch it moves are written on the condition that the watch is as read:
# one that lost to another writer reads again, this many times in all, then is 409.
WRITE_ROUNDS = 3


@dataclass(frozen=True)
class EntryRequest:
    vaccine_code: str
    vaccine_name: str
    targets: tuple[str, ...]
    dose_number: int | None
    given_on: date
    lot_number: str | None


@dataclass(frozen=True)
class Recorded:
    """A new entry, and the registered patient whose booklet holds it."""

    patient: Patient
    entry: Vaccination


@dataclass(frozen=True)
class Booklet:
    """A patient's booklet on a day: the entries, newest `given_on` first, and what the
    schedule of `version` recommends: `forecast` all of it, `recommendations` what is in
    view (`vaccination_schedule.in_view`)."""

    patient: Patient
    entries: tuple[Vaccination, ...]
    recommendations: tuple[Recommendation, ...]
    forecast: tuple[Recommendation, ...]
    version: str
    on: date


def _birth(patient: Patient) -> date:
    """The earliest day the matricule allows: a day or month written `00` is unknown."""
    return matricules.birth_date(patient.matricule)


def _check_given_on(patient: Patient, given_on: date, today: date) -> None:
    if given_on > today:
        raise Unprocessable.field("given_on", "must not be in the future")
    if given_on < _birth(patient):
        raise Unprocessable.field("given_on", "must not be before the patient's birth")


def _watch(patient: Patient, entries: list[Vaccination], read: Watch | None, today: date) -> Watch:
    """The patient's watch once `entries` are the booklet: the reminders already sent stay."""
    from chalicelib.domain import vaccination_schedule as schedule

    items = schedule.evaluate(schedule.schedule(), _birth(patient), entries, today)
    told = read.told if read else frozenset()
    version = read.version + 1 if read else 1
    return Watch(patient.matricule, schedule.next_due(items, told), told, version)


def _save(
    patient: Patient,
    entry: Vaccination,
    copy: Document | None,
    events: list[Event],
    today: date,
    once: Once | None = None,
) -> bool:
    """Write the entry with its copy's record, its events, the patient's new watch and the
    record of the request's idempotency key (`once`)."""
    from chalicelib.store import vaccinations as store

    for _ in range(WRITE_ROUNDS):
        read = store.watch_of(patient.matricule)
        entries = store.booklet(patient.matricule)
        if len(entries) >= store.MOST_ENTRIES:
            raise Unprocessable(f"a booklet holds at most {store.MOST_ENTRIES} entries")
        if store.add(entry, copy, events, read, _watch(patient, [*entries, entry], read, today), once):
            return True
    return False


def _recorded(entry: Vaccination, patient: Patient, at: datetime) -> Event:
    """`vaccination.recorded`, to the patient: which entry, never what was given."""
    data = {
        "vaccination_id": entry.vaccination_id,
        "patient_id": patient.patient_id,
        "verified": entry.verified,
        "document_id": entry.document_id,
    }
    return Event(ids.new_id("evt", at), "vaccination.recorded", at, data, patient=patient.matricule)


def _registered(patient_matricule: str) -> Patient:
    from chalicelib.store import identity

    found = identity.get_patient(patient_matricule)
    if found is None:
        raise Unprocessable.field("patient_matricule", "is not in the registry")
    return found


def record(
    caller: Principal, patient_matricule: str, request: EntryRequest, clock: Clock, once: Once | None
) -> Recorded:
    """A doctor's entry, issued on the signed-document path: the entry, its one-page PDF in
    the patient's vault, `vaccination.recorded`, `document.received` and the record of the
    request's idempotency key (`once`), in one transaction. Writing is not a read of the
    patient's data, which the journal records."""
    from chalicelib.store import identity

    now = clock.now()
    patient = _registered(patient_matricule)
    _check_given_on(patient, request.given_on, local_date(now))
    code = caller.practice()
    practice = identity.get_doctor(code)
    if practice is None:
        raise NotFound("the practice of this device is not registered")
    draft = _entry(patient, request, True, Recorder("practice", code, practice.name), now)
    entry = signed_documents.issue(
        EntryKind(patient), replace(draft, document_id=ids.new_id("doc", now)), now, once
    )
    return Recorded(patient, entry)


def recorded(caller: Principal, patient_matricule: str, vaccination_id: str) -> Recorded:
    """The entry that a request retried with its Idempotency-Key recorded the first time,
    with its copy in the vault put in place where a crash after the commit left it out. Not
    journaled: it is the answer of the recording request again, not another reading."""
    from chalicelib.store import vaccinations as store

    patient = _registered(patient_matricule)
    entry = store.get(patient.matricule, vaccination_id)
    if entry is None or (entry.recorded_by.kind, entry.recorded_by.id) != ("practice", caller.practice()):
        raise NotFound("no such vaccination")
    signed_documents.repair(EntryKind(patient), entry)
    return Recorded(patient, entry)


def _entry(
    patient: Patient, request: EntryRequest, verified: bool, by: Recorder, now: datetime
) -> Vaccination:
    return Vaccination(
        vaccination_id=ids.new_id("vac", now),
        patient=patient.matricule,
        vaccine_code=request.vaccine_code,
        vaccine_name=request.vaccine_name,
        targets=request.targets,
        dose_number=request.dose_number,
        given_on=request.given_on,
        lot_number=request.lot_number,
        verified=verified,
        recorded_at=now,
        recorded_by=by,
    )


class EntryKind:
    """A doctor's entry as a kind of signed document (`signed_documents.Kind[Vaccination]`)."""

    type = "vaccination"

    def __init__(self, patient: Patient) -> None:
        self.patient = patient

    def numbered(self, draft: Vaccination) -> Iterator[Vaccination]:
        """An entry has its own id and no number to race for."""
        yield draft

    def claims(self, entry: Vaccination) -> EntryClaims:
        return EntryClaims(entry.vaccination_id, local_date(entry.recorded_at))

    def signed(self, entry: Vaccination, token: str) -> Vaccination:
        return replace(entry, qr=token)

    def layout(self, entry: Vaccination) -> bytes:
        from chalicelib.render import vaccination_pdf

        return vaccination_pdf.entry_pdf(
            vaccination_pdf.Holder(self.patient.name, self.patient.matricule), entry
        )

    def vault_copy(self, entry: Vaccination) -> VaultCopy | None:
        assert entry.document_id is not None  # every doctor's entry has its copy
        return VaultCopy(
            owner=entry.patient,
            document_id=entry.document_id,
            source_id=entry.vaccination_id,
            title=f"Vaccination du {entry.given_on.strftime('%d/%m/%Y')}",
            author=entry.recorded_by.name,
            author_code=entry.recorded_by.id,
        )

    def events(self, entry: Vaccination, at: datetime) -> list[Event]:
        return [_recorded(entry, self.patient, at)]

    def record(
        self, entry: Vaccination, copy: Document | None, events: list[Event], once: Once | None
    ) -> bool:
        if not _save(self.patient, entry, copy, events, local_date(entry.recorded_at), once):
            raise Conflict("this booklet is being changed by other requests at this moment; retry")
        return True


def declare(
    caller: Principal, on_behalf_of: str | None, request: EntryRequest, clock: Clock, once: Once | None
) -> Recorded:
    """A vaccination the patient (or a relative who may act for them) declares: unverified,
    unsigned, with no copy in the vault, written with the record of the request's
    idempotency key (`once`). A relative's declaration is journaled for the patient before
    it is written."""
    from chalicelib.store import identity

    now = clock.now()
    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of)
    _check_given_on(patient, request.given_on, local_date(now))
    me = identity.get_patient(relatives.matricule_of(caller))
    if me is None:
        raise NotFound("you are not in the registry")
    entry = _entry(patient, request, False, Recorder("patient", me.patient_id, me.name), now)
    journal.record(
        caller, "relative.read", patient.matricule, ObjectRef("vaccination", entry.vaccination_id), clock
    )
    if not _save(patient, entry, None, [_recorded(entry, patient, now)], local_date(now), once):
        raise Conflict("this booklet is being changed by other requests at this moment; retry")
    return Recorded(patient, entry)


def declared(caller: Principal, on_behalf_of: str | None, vaccination_id: str, clock: Clock) -> Recorded:
    """The entry that a declaration retried with its Idempotency-Key made the first time, as
    long as the caller may still act for its patient."""
    from chalicelib.store import vaccinations as store

    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of)
    entry = store.get(patient.matricule, vaccination_id)
    if entry is None:
        raise NotFound("no such vaccination")
    return Recorded(patient, entry)


def _booklet(patient: Patient, today: date) -> Booklet:
    from chalicelib.domain import vaccination_schedule as schedule
    from chalicelib.store import vaccinations as store

    plan = schedule.schedule()
    entries = store.booklet(patient.matricule)
    items = schedule.evaluate(plan, _birth(patient), entries, today)
    newest_first = sorted(entries, key=lambda e: (e.given_on, e.vaccination_id), reverse=True)
    in_view = tuple(schedule.in_view(items, today))
    return Booklet(patient, tuple(newest_first), in_view, tuple(items), plan.version, today)


def booklet(caller: Principal, on_behalf_of: str | None, clock: Clock) -> Booklet:
    """The caller's booklet, or that of a relative they may act for (journaled for them)."""
    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of)
    journal.record(caller, "relative.read", patient.matricule, ObjectRef("vaccination"), clock)
    return _booklet(patient, local_date(clock.now()))


def for_professional(caller: Principal, patient_matricule: str, clock: Clock) -> Booklet:
    """The booklet and recommendations of a registered patient for a practice that may read
    the patient's record (the care record's rules, else 403), journaled as `vaccination.read`
    (as an emergency where only an emergency window opens it, which tells the patient at
    once). A doctor's entry whose copy in the record the practice may not see (the patient
    hid it) is left out; the recommendations still count it, as the schedule must."""
    from chalicelib.services import records
    from chalicelib.store import identity

    sight = records.sight(caller, patient_matricule, "vaccination", clock.now())
    patient = identity.get_patient(patient_matricule)
    if patient is None:
        raise Forbidden("this practice has no access to this patient's record")
    journal.record(
        caller,
        "vaccination.read",
        patient.matricule,
        ObjectRef("vaccination"),
        clock,
        emergency=sight.emergency,
    )
    booklet = _booklet(patient, local_date(clock.now()))
    shown = tuple(e for e in booklet.entries if e.document_id is None or e.vaccination_id in sight.sources)
    return replace(booklet, entries=shown)


def booklet_pdf(booklet: Booklet) -> bytes:
    from chalicelib.render import vaccination_pdf

    holder = vaccination_pdf.Holder(booklet.patient.name, booklet.patient.matricule)
    return vaccination_pdf.booklet_pdf(
        holder, booklet.entries, booklet.recommendations, booklet.version, booklet.on
    )


def immunizations_fhir(booklet: Booklet) -> str:
    from chalicelib.render import fhir

    return fhir.immunizations(booklet.patient.patient_id, booklet.entries)


def recommendation_fhir(booklet: Booklet) -> str:
    """An ImmunizationRecommendation holds one recommendation at least: a booklet with none
    in view (today's schedule has boosters that never end, so none) gives its whole forecast."""
    from chalicelib.render import fhir

    items = booklet.recommendations or booklet.forecast
    return fhir.recommendation(booklet.patient.patient_id, items, booklet.version, booklet.on)


# Reminders.


def _due_events(patient: Patient, reminders: list[Reminder], today: date, now: datetime) -> list[Event]:
    """`vaccination.due` for each dose, to the patient and to each guardian of a minor; a
    guardian's copy is routed only while they may still act for the child."""
    from chalicelib.domain import vaccination_schedule as schedule

    guardians = patient.guardians if relative_rules.is_minor(patient.matricule, today) else ()
    events = []
    for reminder in reminders:
        data = {
            "patient_id": patient.patient_id,
            "rule": reminder.rule,
            "dose": reminder.dose,
            "targets": list(reminder.targets),
            "due_on": reminder.due_on.isoformat(),
            "schedule_version": schedule.schedule().version,
        }
        events.append(Event(ids.new_id("evt", now), "vaccination.due", now, data, patient=patient.matricule))
        events += [
            Event(
                ids.new_id("evt", now),
                "vaccination.due",
                now,
                data,
                patient=g,
                on_behalf_of=patient.matricule,
            )
            for g in guardians
        ]
    return events


def _remind(read: Watch, now: datetime) -> int:
    """Tell the patient of every dose now due that they were not told of, and move the watch
    on to the next day a dose falls due; the number of doses told, 0 where another run won."""
    from chalicelib.domain import vaccination_schedule as schedule
    from chalicelib.store import identity
    from chalicelib.store import vaccinations as store

    today = local_date(now)
    patient = identity.get_patient(read.patient)
    if patient is None:
        # Gone from the registry: nothing more to remind of.
        store.tell(read, replace(read, next_due=None, version=read.version + 1), [])
        return 0
    items = schedule.evaluate(schedule.schedule(), _birth(patient), store.booklet(patient.matricule), today)
    reminders = [r for r in schedule.due_now(items) if r.key not in read.told]
    told = read.told | {r.key for r in reminders}
    watch = Watch(patient.matricule, schedule.next_due(items, told), told, read.version + 1)
    if not store.tell(read, watch, _due_events(patient, reminders, today, now)):
        return 0
    return len(reminders)


def send_reminders(clock: Clock, budget: TimeBudget) -> int:
    """Tell every patient whose watch has come due, while the budget lasts; the number of
    doses told. A watch told moves on (or leaves the index), so a run stopped by its budget
    leaves the rest to the next one, and two runs that overlap tell each dose once."""
    from chalicelib.store import vaccinations as store

    now = clock.now()
    sent = 0
    for watch in store.watches_due(local_date(now)):
        if not budget.allows_more():
            break
        sent += _remind(watch, now)
    return sent
