"""When a patient may act for a relative: book their appointments and read their vault.

A link is asked for by the requester and names the relative. A child under 18 cannot be
asked to accept, so a link to one is active at once, and stays so while the child is a minor;
any other link is pending until the relative accepts it, and is active from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from chalicelib.domain import matricule

Relationship = Literal["child", "parent", "spouse", "other"]
Status = Literal["active", "pending"]


@dataclass(frozen=True)
class RelativeLink:
    """The link `requester` asked for towards `relative`; `accepted_at` is when the relative
    accepted it, if ever."""

    requester: str
    relative: str
    relationship: Relationship
    status: Status
    created_at: datetime
    accepted_at: datetime | None = None


def _minor(relative: str, day: date) -> bool:
    try:
        return matricule.is_minor_on(relative, day)
    except ValueError:
        # Not born yet by its matricule: nobody can act for a person who does not exist.
        return False


def initial_status(relationship: Relationship, relative: str, today: date) -> Status:
    return "active" if relationship == "child" and _minor(relative, today) else "pending"


def may_act(status: str, accepted: bool, relative: str, today: date) -> bool:
    """An accepted link works until it is ended; one made for a minor child works only while
    the child is a minor: from 18 on, it works again once the child accepts it."""
    if status != "active":
        return False
    return accepted or _minor(relative, today)
