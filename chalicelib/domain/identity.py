"""Who may call, as plain records and rules: a doctor's practice, a pharmacy, their devices,
the codes that enrol a device and the bearer credentials (the roles are in `domain.roles`).

Credentials and enrolment codes carry the SHA-256 of their secret, never the secret itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.roles import Role

ENROLMENT_CODE_LIFETIME = timedelta(hours=24)
# A spent code is kept this long after its use, so that a replayed enrolment is told the code
# was used (409) rather than that it is unknown, long after the code itself would expire.
SPENT_CODE_KEPT = timedelta(days=30)

# `dhn_<token_id>_<secret>`: the id names the credential's item, so that a token is checked
# with one strongly consistent read by key; the secret (32 random bytes, base64url) is what
# only its holder knows. The text is opaque to callers.
_TOKEN = re.compile(r"dhn_(tok_[0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})")


def token_text(token_id: str, secret: str) -> str:
    """The bearer token handed to its holder, once."""
    return f"dhn_{token_id}_{secret}"


def token_id_of(text: str) -> str | None:
    """The token_id a bearer token names, or None when the text is not one of our tokens."""
    found = _TOKEN.fullmatch(text)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Doctor:
    doctor_code: str
    name: str
    specialty: str | None
    iban: str | None
    created_at: datetime


@dataclass(frozen=True)
class EnrolmentCode:
    """Single-use: spent by the device it enrols, useless after `expires_at`."""

    code_hash: str
    # The practice the device joins; None for a pharmacy's device (`pharmacy_code`).
    doctor_code: str | None
    role: Role
    # The device's name when the doctor chose it; else the device names itself.
    name: str | None
    expires_at: datetime
    used_at: datetime | None = None
    pharmacy_code: str | None = None


@dataclass(frozen=True)
class Device:
    """One PC or assistant of a practice; all of them are billed under the one doctor."""

    doctor_code: str
    device_id: str
    name: str
    role: Role
    # The device's current credential; rotation replaces it.
    token_id: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Holder:
    """Whom a credential speaks for: a device of a practice, a patient, an insurer or a named
    operator. A rotated token speaks for the same holder."""

    role: Role
    doctor_code: str | None = None
    device_id: str | None = None
    matricule: str | None = None
    insurer: str | None = None
    # The operator's name, for an operator's token.
    operator: str | None = None
    pharmacy_code: str | None = None


@dataclass(frozen=True)
class Credential:
    """A bearer token's id, the hash of its text, its holder and until when it works."""

    token_id: str
    secret_hash: str
    holder: Holder
    created_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


@dataclass(frozen=True)
class Pharmacy:
    """A pharmacy, registered by an operator; its PCs enrol with role `pharmacist`."""

    pharmacy_code: str
    name: str
    created_at: datetime
