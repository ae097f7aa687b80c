"""When a patient may act for a relative: book and cancel their appointments, read their
vault, and be told of their events.

A link is asked for by the requester and names the relative. Acting for someone is a relation
with a source, and the source is read again on every use:
- parental authority: the requester is one of the relative's guardians in the registry, and
  the relative is under 18 today. Only a guardian may link a minor; from the 18th birthday the
  link is pending until the now-adult patient accepts it;
- acceptance: an adult relative accepted the link, which then holds until either side ends it.

Parental authority alone also lets the requester manage the minor's shared care record (its
grants, blocks, hidden documents and closure): what an adult accepted is to read and book.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from chalicelib.domain import matricule

Relationship = Literal["child", "parent", "spouse", "other"]
Status = Literal["active", "pending"]
ACTIVE: Status = "active"
PENDING: Status = "pending"

# Links one patient may ask for: enough for any family, too few to probe the registry with.
MAX_LINKS = 20


@dataclass(frozen=True)
class RelativeLink:
    """The link `requester` asked for towards `relative` (both matricules); `accepted_at` is
    when the relative accepted it, if ever."""

    link_id: str
    requester: str
    relative: str
    relationship: Relationship
    created_at: datetime
    accepted_at: datetime | None = None


def is_minor(relative: str, today: date) -> bool:
    try:
        return matricule.is_minor_on(relative, today)
    except ValueError:
        # Not born yet by its matricule: nobody holds parental authority over them yet.
        return False


def holds_parental_authority(
    requester: str, relative: str, guardians: Collection[str] | None, today: date
) -> bool:
    """Whether `requester` is one of the guardians of `relative` (None for a matricule not in
    the registry) and `relative` is under 18 today."""
    return is_minor(relative, today) and requester in (guardians or ())


def may_link(requester: str, relative: str, guardians: Collection[str] | None, today: date) -> bool:
    """Whether `requester` may ask for a link to `relative`, whose registry guardians are
    `guardians` (None for a matricule not in the registry). A minor is linked by their
    guardians only, and at once; anyone else is asked, so an unknown adult is no different
    from a known one."""
    return not is_minor(relative, today) or requester in (guardians or ())


def status(link: RelativeLink, guardians: Collection[str] | None, today: date) -> Status:
    """The link's status today, given the relative's guardians in the registry (None for a
    relative not in it)."""
    if link.accepted_at is not None:
        return ACTIVE
    if holds_parental_authority(link.requester, link.relative, guardians, today):
        return ACTIVE
    return PENDING
