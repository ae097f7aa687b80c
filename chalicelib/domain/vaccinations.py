"""The vaccination booklet as plain records: the entries, the signed token of one a doctor
recorded, and what the reminder job keeps of each patient.

A doctor's entry is a signed document (`verified`): its token names the entry and the day it
was recorded, nothing about the patient or the vaccine, like every DHN token. An entry the
patient declares (a vaccination received abroad) is theirs alone: DHN signs nothing it has not
seen, so it has no token, no PDF and no copy in the vault, and is listed `verified: false`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_EPOCH: Final = date(1970, 1, 1)


@dataclass(frozen=True)
class Recorder:
    """Who wrote an entry: a practice (`doctor_code`, its name) or the patient's side (the
    `patient_id` of the patient or of the relative who declared it, and their name)."""

    kind: Literal["practice", "patient"]
    id: str
    name: str


@dataclass(frozen=True)
class Vaccination:
    """One entry of a patient's booklet. `patient` is the matricule (never answered);
    `document_id` the copy in the vault of a doctor's entry; `qr` its signed token."""

    vaccination_id: str
    patient: str
    vaccine_code: str
    vaccine_name: str
    targets: tuple[str, ...]
    dose_number: int | None
    given_on: date
    lot_number: str | None
    verified: bool
    recorded_at: datetime
    recorded_by: Recorder
    document_id: str | None = None
    qr: str = ""


@dataclass(frozen=True)
class EntryClaims:
    """What a doctor's entry's token asserts: the entry, and the Luxembourg day it was
    recorded. `iat` is the second the id was made, so the same claims give the same token."""

    vaccination_id: str
    recorded_on: date

    def sign(self, private_key: Ed25519PrivateKey) -> str:
        # The token's format loads when an entry is signed, not at the cold start.
        from chalicelib.domain import signed_token
        from chalicelib.domain.signed_token import Claim, Kind

        return signed_token.sign(
            Kind.VACCINATION,
            self.vaccination_id,
            {Claim.DATE: (self.recorded_on - _EPOCH).days},
            private_key,
            issued_at=signed_token.ulid_seconds(Kind.VACCINATION, self.vaccination_id),
        )


@dataclass(frozen=True)
class Watch:
    """What the reminder job keeps of one patient: when to look at the booklet again
    (`next_due`, None when no dose is to come), the reminders already sent, and a `version`
    that every write moves on, so that two writers never both act on what they read."""

    patient: str
    next_due: date | None
    told: frozenset[str]
    version: int
