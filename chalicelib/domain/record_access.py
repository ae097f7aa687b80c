"""Who may read what of a patient's shared care record: the one access matrix, pure.

A practice stands toward a patient's record somehow (`Standing`: a care relationship, a grant,
a block, an open emergency window, the record closed) and each document is in some situation
(`Sheet`: restricted or not, hidden or not, written by this practice or not). `may_search`
says whether the practice has any right at all; `visible` whether it sees one document.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from chalicelib.domain.documents import Confidentiality, Document
from chalicelib.domain.record_terms import RecordStatus

# An invoice or an appointment this recent makes a care relationship.
CARE_PERIOD = timedelta(days=365)
EMERGENCY_WINDOW = timedelta(hours=24)
# Grants and blocks one patient keeps: `GET /patient/record` answers them all at once.
MAX_GRANTS = 100
MAX_BLOCKS = 100


@dataclass(frozen=True)
class Standing:
    """Where a practice stands toward one patient's record at one moment. `doctor` is the
    role of the caller: only a doctor reads through an emergency window."""

    doctor: bool = True
    care: bool = False
    granted: bool = False
    blocked: bool = False
    emergency: bool = False
    closed: bool = False


@dataclass(frozen=True)
class Sheet:
    """A document as the matrix sees it."""

    confidentiality: Confidentiality = "normal"
    hidden: bool = False
    authored: bool = False
    available: bool = True


@dataclass(frozen=True)
class Grant:
    doctor_code: str
    name: str
    # The last Luxembourg day it works; None for a grant until withdrawn.
    until: date | None


@dataclass(frozen=True)
class Block:
    doctor_code: str
    name: str


@dataclass(frozen=True)
class Emergency:
    """An emergency window a doctor of `doctor_code` opened, with the reason they gave."""

    doctor_code: str
    opened_at: datetime
    until: datetime
    reason: str


@dataclass(frozen=True)
class Record:
    """The patient's settings of their record."""

    status: RecordStatus
    grants: list[Grant]
    blocks: list[Block]


def _emergency(standing: Standing) -> bool:
    return standing.emergency and standing.doctor


def may_search(standing: Standing) -> bool:
    """Whether the practice has any right on the record: a search without one is 403. Block
    and closure beat care, grants and emergencies alike."""
    if standing.closed or standing.blocked:
        return False
    return standing.care or standing.granted or _emergency(standing)


def visible(standing: Standing, sheet: Sheet) -> bool:
    """Whether the practice sees the document; anything it does not is 404 to it and absent
    from its searches."""
    if not sheet.available or standing.closed or standing.blocked:
        return False
    if sheet.authored:
        return True
    if sheet.hidden:
        return False
    if sheet.confidentiality == "restricted":
        return standing.granted
    return standing.care or standing.granted or _emergency(standing)


def through_emergency(standing: Standing, sheet: Sheet) -> bool:
    """Whether the practice sees the document only because of an emergency window: such a
    read is journaled as an emergency, and the patient is told of it at once."""
    return visible(standing, sheet) and not visible(replace(standing, emergency=False), sheet)


def sheet_of(document: Document, practice: str) -> Sheet:
    return Sheet(
        document.confidentiality,
        document.hidden,
        document.author_code == practice,
        document.status == "available",
    )


def grant_works(grant: Grant | None, today: date) -> bool:
    return grant is not None and (grant.until is None or today <= grant.until)


def window_open(window: Emergency | None, now: datetime) -> bool:
    return window is not None and now < window.until
