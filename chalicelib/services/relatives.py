"""Relatives: a patient links the people they look after, who may then be booked for, whose
vault may be read and whose events they are told of; and the one check every "on behalf of"
goes through, made again on every use against the link and the registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Forbidden, NotFound, Unprocessable
from chalicelib.domain import relatives as rules
from chalicelib.domain.calendar import local_date
from chalicelib.domain.registry import Patient
from chalicelib.domain.relatives import Relationship, RelativeLink, Status
from chalicelib.services.identity import Principal

# `acts_for`: the caller asked to act for the other; `acted_for`: the other asked to act for
# the caller.
Direction = Literal["acts_for", "acted_for"]

# One answer whether the minor is in the registry or not, so it reveals nothing.
_NOT_A_GUARDIAN = "a minor is linked only by the guardians the registry records"
_NOT_MANAGING = "only a minor's guardians in the registry manage their record with for="


@dataclass(frozen=True)
class Link:
    """A link as one side sees it. `patient_id` is the other side's once the link is active;
    `name` too, except that the one asked always sees who asks."""

    link_id: str
    patient_id: str | None
    name: str | None
    relationship: Relationship
    status: Status
    direction: Direction


def matricule_of(caller: Principal) -> str:
    """The caller's own matricule; only patients have one."""
    if caller.matricule is None:
        raise Forbidden()
    return caller.matricule


def _works(requester: str, relative: Patient, now: datetime) -> bool:
    from chalicelib.store import relatives as store

    link = store.get(requester, relative.matricule)
    return link is not None and rules.status(link, relative.guardians, local_date(now)) == rules.ACTIVE


def _by_id(patient_id: str) -> Patient | None:
    from chalicelib.store import identity

    return identity.patient_by_id(patient_id) if ids.has_prefix(patient_id, "pat") else None


def acting_for(
    caller: Principal, clock: Clock, *, patient_id: str | None = None, matricule: str | None = None
) -> Patient:
    """The patient the caller acts for, named by `patient_id` (in URLs) or by `matricule` (in
    bodies): themself when neither is given, else a relative whose link works today. Anyone
    else, registered or not, is 403."""
    from chalicelib.store import identity

    own = matricule_of(caller)
    target = _by_id(patient_id) if patient_id is not None else identity.get_patient(matricule or own)
    if target is not None and (target.matricule == own or _works(own, target, clock.now())):
        return target
    raise Forbidden("you may not act for this patient")


def managing(caller: Principal, clock: Clock, patient_id: str | None) -> str:
    """The matricule of the patient whose record settings the caller changes: their own
    without `patient_id`, else a minor whose guardian the registry records them as, linked
    today. An adult relative, whose acceptance was to read and book, anyone else and an
    unknown `patient_id` get the same 403."""
    own = matricule_of(caller)
    if patient_id is None:
        return own
    target = _by_id(patient_id)
    now = clock.now()
    if target is not None and (
        target.matricule == own
        or (
            rules.holds_parental_authority(own, target.matricule, target.guardians, local_date(now))
            and _works(own, target, now)
        )
    ):
        return target.matricule
    raise Forbidden(_NOT_MANAGING)


def still_acts_for(relative: str, patient: str, now: datetime) -> bool:
    """Whether the patient with matricule `relative` may act for `patient` at `now`: events
    are routed, and cancellations allowed, only while the link holds."""
    from chalicelib.store import identity

    found = identity.get_patient(patient)
    return found is not None and _works(relative, found, now)


def _view(link: RelativeLink, direction: Direction, other: Patient | None, status: Status) -> Link:
    """`other` is the registry's record of the other side, if any. Nothing of a relative
    asked is shown before they accept, not even whether they are registered."""
    active = status == rules.ACTIVE
    patient_id = other.patient_id if other is not None and active else None
    name = other.name if other is not None and (active or direction == "acted_for") else None
    return Link(link.link_id, patient_id, name, link.relationship, status, direction)


def add(caller: Principal, relative: str, relationship: Relationship, clock: Clock) -> Link:
    from chalicelib.store import identity
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    if relative == own:
        raise Unprocessable.field("matricule", "is your own")
    now = clock.now()
    found = identity.get_patient(relative)
    guardians = found.guardians if found is not None else None
    if not rules.may_link(own, relative, guardians, local_date(now)):
        raise Forbidden(_NOT_A_GUARDIAN)
    if len(store.made_by(own, rules.MAX_LINKS)) >= rules.MAX_LINKS:
        raise Unprocessable(f"a patient may have at most {rules.MAX_LINKS} links")
    link = RelativeLink(ids.new_id("lnk", now), own, relative, relationship, now)
    store.create(link)
    return _view(link, "acts_for", found, rules.status(link, guardians, local_date(now)))


def _find(link_id: str) -> RelativeLink:
    from chalicelib.store import relatives as store

    found = store.find(link_id) if ids.has_prefix(link_id, "lnk") else None
    if found is None:
        raise NotFound("no such link")
    return found


def accept(caller: Principal, link_id: str, clock: Clock) -> Link:
    """The relative accepts the link asked of them; accepting twice changes nothing. A minor
    accepts nothing: who acts for them is their guardians' authority, from the registry."""
    from chalicelib.store import identity
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    link = _find(link_id)
    if link.relative != own:
        raise NotFound("no such link")
    now = clock.now()
    if rules.is_minor(own, local_date(now)):
        raise Forbidden("a minor's relatives follow parental authority in the registry")
    if link.accepted_at is None:
        # None when accepted or ended meanwhile: the link as it now is, if still there.
        link = store.accept(link, now) or _find(link_id)
    status = rules.status(link, None, local_date(now))
    return _view(link, "acted_for", identity.get_patient(link.requester), status)


def end(caller: Principal, link_id: str) -> None:
    """Either side ends the link; from then on it opens nothing."""
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    link = _find(link_id)
    if own not in (link.requester, link.relative) or not store.end(link):
        raise NotFound("no such link")


def links(caller: Principal, clock: Clock) -> list[Link]:
    """Both directions, each with its status today: one query per direction and one batch
    read of the registry for the people on the other side."""
    from chalicelib.store import identity
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    made, towards = store.made_by(own), store.made_towards(own)
    known = identity.patients({own} | {link.relative for link in made} | {link.requester for link in towards})
    today = local_date(clock.now())

    def guardians(matricule: str) -> tuple[str, ...] | None:
        found = known.get(matricule)
        return found.guardians if found is not None else None

    return [
        _view(link, "acts_for", known.get(link.relative), rules.status(link, guardians(link.relative), today))
        for link in made
    ] + [
        _view(link, "acted_for", known.get(link.requester), rules.status(link, guardians(own), today))
        for link in towards
    ]
