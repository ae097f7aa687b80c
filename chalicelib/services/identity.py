"""Who is calling: operator onboarding, device enrolment, bearer tokens and their revocation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core import config, ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Forbidden, NotFound, Unauthenticated, Unprocessable
from chalicelib.domain.identity import Credential, Device, Doctor, EnrolmentCode
from chalicelib.domain.identity import Role as Role  # noqa: PLC0414 (the HTTP edge names roles from here)

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page

ENROLMENT_CODE_LIFETIME = timedelta(hours=24)
# Crockford's alphabet: no I, L, O or U, so a code read aloud or typed is not misread.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Principal:
    """The caller, as far as any rule needs to know."""

    role: Role
    # Stable per credential: idempotency keys are scoped to it.
    scope: str
    doctor_code: str | None = None
    device_id: str | None = None
    matricule: str | None = None
    insurer: str | None = None

    def practice(self) -> str:
        """The doctor whose practice this device belongs to."""
        if self.doctor_code is None:
            raise Forbidden()
        return self.doctor_code


@dataclass(frozen=True)
class Enrolment:
    device_id: str
    token: str
    role: Role
    doctor_code: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(authorization: str | None) -> Principal:
    from chalicelib.store import identity as store

    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required")
    token = token.strip()
    operator = config.operator_token()
    if operator is not None and hmac.compare_digest(token.encode(), operator.encode()):
        return Principal(role="operator", scope="operator")
    found = store.find_credential(digest(token))
    if found is None:
        raise Unauthenticated("the token is unknown or revoked")
    return Principal(
        role=found.role,
        scope=found.token_hash[:32],
        doctor_code=found.doctor_code,
        device_id=found.device_id,
        matricule=found.matricule,
        insurer=found.insurer,
    )


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _code_digest(code: str) -> str:
    return digest(code.upper().replace("-", "").replace(" ", ""))


def _enrolment_code(
    doctor_code: str, role: Role, name: str | None, clock: Clock
) -> tuple[str, EnrolmentCode]:
    code = _new_code()
    record = EnrolmentCode(
        _code_digest(code),
        doctor_code=doctor_code,
        role=role,
        name=name,
        expires_at=clock.now() + ENROLMENT_CODE_LIFETIME,
    )
    return code, record


def onboard_doctor(
    doctor_code: str, name: str, specialty: str | None, iban: str | None, clock: Clock
) -> tuple[str, EnrolmentCode]:
    """Register a doctor and hand out the code that enrols its first PC."""
    from chalicelib.store import identity as store

    code, record = _enrolment_code(doctor_code, "doctor", None, clock)
    doctor = Doctor(doctor_code, name=name, specialty=specialty, iban=iban, created_at=clock.now())
    store.create_doctor(doctor, record)
    return code, record


def new_enrolment_code(
    caller: Principal, role: Role, name: str | None, clock: Clock
) -> tuple[str, EnrolmentCode]:
    """Another PC of the doctor, or an assistant, under the same practice."""
    from chalicelib.store import identity as store

    code, record = _enrolment_code(caller.practice(), role, name, clock)
    store.save_enrolment_code(record)
    return code, record


def enrol_device(code: str, device_name: str, clock: Clock) -> Enrolment:
    from chalicelib.store import identity as store

    code_hash = _code_digest(code)
    now = clock.now()
    found = store.find_enrolment_code(code_hash)
    if found is None or found.expires_at <= now:
        raise Unprocessable.field("enrolment_code", "is unknown, used or expired")
    token = ids.secret_token("dhn")
    device_id = ids.new_id("dev", now)
    token_hash = digest(token)
    device = Device(
        found.doctor_code,
        device_id,
        name=found.name or device_name,
        role=found.role,
        token_hash=token_hash,
        created_at=now,
    )
    credential = Credential(
        token_hash,
        role=found.role,
        doctor_code=found.doctor_code,
        device_id=device_id,
        created_at=now,
    )
    store.enrol(code_hash, now, device, credential)
    return Enrolment(device_id, token, found.role, found.doctor_code)


def list_devices(caller: Principal, limit: int, cursor: dict[str, Any] | None) -> Page[Device]:
    from chalicelib.store import identity as store

    return store.list_devices(caller.practice(), limit, cursor)


def revoke_device(caller: Principal, device_id: str, clock: Clock) -> None:
    from chalicelib.store import identity as store

    if not ids.has_prefix(device_id, "dev"):
        raise NotFound("no such device")
    store.revoke_device(caller.practice(), device_id, clock.now())


def issue_token(clock: Clock, *, role: Role, matricule: str | None = None, insurer: str | None = None) -> str:
    """A bearer token for a patient (stands in for the eSanté login) or an insurer."""
    from chalicelib.store import identity as store

    token = ids.secret_token("dhn")
    store.save_credential(
        Credential(digest(token), role=role, matricule=matricule, insurer=insurer, created_at=clock.now())
    )
    return token
