"""Relatives: a patient links the people they look after, who may then be booked for and
whose vault may be read, and the one check every "on behalf of" goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.core.clock import Clock
from chalicelib.core.errors import Forbidden, NotFound, Unprocessable
from chalicelib.domain import relatives as rules
from chalicelib.domain.calendar import local_date
from chalicelib.domain.relatives import Relationship, RelativeLink
from chalicelib.services.identity import Principal

Direction = Literal["acts_for", "acted_for_by"]


@dataclass(frozen=True)
class Link:
    """A link as one side sees it: `matricule` is the other person; `usable` says whether
    the requester may act for the relative today."""

    matricule: str
    relationship: str
    status: str
    direction: Direction
    usable: bool


def matricule_of(caller: Principal) -> str:
    """The caller's own matricule; only patients have one."""
    if caller.matricule is None:
        raise Forbidden()
    return caller.matricule


def acting_for(caller: Principal, on_behalf_of: str | None, clock: Clock) -> str:
    """The patient the caller acts for: themself, or a relative whose link works today."""
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    if on_behalf_of is None or on_behalf_of == own:
        return own
    link = store.get(own, on_behalf_of)
    if link is None or not _usable(link, clock):
        raise Forbidden("you may not act for this patient")
    return on_behalf_of


def _usable(link: RelativeLink, clock: Clock) -> bool:
    return rules.may_act(link.status, link.accepted_at is not None, link.relative, local_date(clock.now()))


def _view(link: RelativeLink, direction: Direction, clock: Clock) -> Link:
    other = link.relative if direction == "acts_for" else link.requester
    return Link(other, link.relationship, link.status, direction, _usable(link, clock))


def add(caller: Principal, relative: str, relationship: Relationship, clock: Clock) -> Link:
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    if relative == own:
        raise Unprocessable.field("matricule", "is your own")
    now = clock.now()
    status = rules.initial_status(relationship, relative, local_date(now))
    link = RelativeLink(own, relative, relationship=relationship, status=status, created_at=now)
    store.create(link)
    return _view(link, "acts_for", clock)


def accept(caller: Principal, requester: str, clock: Clock) -> Link:
    """The relative accepts the link `requester` asked for; accepting twice changes nothing."""
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    link = store.get(requester, own)
    if link is not None and link.accepted_at is None:
        link = store.accept(link, clock.now())
    if link is None:
        raise NotFound("no link from this patient to you")
    return _view(link, "acted_for_by", clock)


def end(caller: Principal, other: str) -> None:
    """Either side ends the link; every link between the two goes."""
    from chalicelib.store import relatives as store

    if not store.end_between(matricule_of(caller), other):
        raise NotFound("no link with this patient")


def links(caller: Principal, clock: Clock) -> list[Link]:
    from chalicelib.store import relatives as store

    own = matricule_of(caller)
    return [_view(link, "acts_for", clock) for link in store.made_by(own)] + [
        _view(link, "acted_for_by", clock) for link in store.made_towards(own)
    ]
