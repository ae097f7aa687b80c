"""Who is calling: operator onboarding (doctors, pharmacies), device enrolment, bearer tokens,
their expiry, rotation and revocation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.core import config, ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.identity import (
    ENROLMENT_CODE_LIFETIME,
    SPENT_CODE_KEPT,
    Credential,
    Device,
    Doctor,
    EnrolmentCode,
    Holder,
    Pharmacy,
    token_id_of,
    token_text,
)
from chalicelib.domain.roles import LIFETIMES, REVOCABLE_BY_OPERATOR, ROTATING_ROLES, Role

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page

# Crockford's alphabet: no I, L, O or U, so a code read aloud or typed is not misread.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# The name the local stack's configured operator token acts under.
BOOTSTRAP_OPERATOR = "bootstrap operator (local stack)"
_UNKNOWN = "the token is unknown or revoked"


@dataclass(frozen=True)
class Principal:
    """The caller, as far as any rule needs to know."""

    role: Role
    # Stable per credential (per device across its rotations): idempotency keys are scoped to it.
    scope: str
    doctor_code: str | None = None
    device_id: str | None = None
    matricule: str | None = None
    insurer: str | None = None
    # The credential the caller presented; None for the local stack's bootstrap token.
    token_id: str | None = None
    # The operator's name, for an operator.
    operator: str | None = None
    pharmacy_code: str | None = None

    def practice(self) -> str:
        """The doctor whose practice this device belongs to."""
        if self.doctor_code is None:
            raise Forbidden()
        return self.doctor_code

    def pharmacy(self) -> str:
        """The pharmacy this device belongs to."""
        if self.pharmacy_code is None:
            raise Forbidden()
        return self.pharmacy_code


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token: its text is shown to its holder this once, never stored."""

    token: str
    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Enrolment:
    device_id: str
    token: IssuedToken
    role: Role
    # One of the two: the practice's doctor, or the pharmacy.
    doctor_code: str | None
    pharmacy_code: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(authorization: str | None, clock: Clock) -> Principal:
    from chalicelib.store import identity as store

    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required")
    token = token.strip()
    bootstrap = config.bootstrap_operator_token()
    if bootstrap is not None and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return Principal(role="operator", scope="operator", operator=BOOTSTRAP_OPERATOR)
    token_id = token_id_of(token)
    found = store.find_credential(token_id) if token_id else None
    if found is None or not hmac.compare_digest(found.secret_hash, digest(token)):
        raise Unauthenticated(_UNKNOWN)
    if found.expired(clock.now()):
        raise Unauthenticated(f"the token expired at {rfc3339(found.expires_at)}; a new one is needed")
    holder = found.holder
    return Principal(
        role=holder.role,
        scope=holder.device_id or found.token_id,
        doctor_code=holder.doctor_code,
        device_id=holder.device_id,
        matricule=holder.matricule,
        insurer=holder.insurer,
        token_id=found.token_id,
        operator=holder.operator,
        pharmacy_code=holder.pharmacy_code,
    )


def _issue(holder: Holder, clock: Clock) -> tuple[IssuedToken, Credential]:
    """A new token for `holder`, with its role's full lifetime from now."""
    now = clock.now()
    token_id = ids.new_id("tok", now)
    text = token_text(token_id, ids.random_secret())
    credential = Credential(token_id, digest(text), holder, now, now + LIFETIMES[holder.role])
    return IssuedToken(text, token_id, credential.expires_at), credential


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _code_digest(code: str) -> str:
    return digest(code.upper().replace("-", "").replace(" ", ""))


def _enrolment_code(
    doctor_code: str | None, role: Role, name: str | None, clock: Clock, *, pharmacy_code: str | None = None
) -> tuple[str, EnrolmentCode]:
    code = _new_code()
    record = EnrolmentCode(
        _code_digest(code),
        doctor_code=doctor_code,
        role=role,
        name=name,
        expires_at=clock.now() + ENROLMENT_CODE_LIFETIME,
        pharmacy_code=pharmacy_code,
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


def onboard_pharmacy(pharmacy_code: str, name: str, clock: Clock) -> tuple[str, EnrolmentCode]:
    """Register a pharmacy and hand out the code that enrols its first PC."""
    from chalicelib.store import identity as store

    code, record = _enrolment_code(None, "pharmacist", None, clock, pharmacy_code=pharmacy_code)
    store.create_pharmacy(Pharmacy(pharmacy_code, name, clock.now()), record)
    return code, record


def new_enrolment_code(
    caller: Principal, role: Role, name: str | None, clock: Clock
) -> tuple[str, EnrolmentCode]:
    """Another PC of the doctor, or an assistant, under the same practice."""
    from chalicelib.store import identity as store

    code, record = _enrolment_code(caller.practice(), role, name, clock)
    store.save_enrolment_code(record)
    return code, record


def _spendable(found: EnrolmentCode | None, now: datetime) -> EnrolmentCode:
    """The code, if it still enrols a device. A spent one is a conflict, whoever replays it:
    the device token it gave is never answered again."""
    if found is not None and found.used_at is not None:
        raise Conflict("this enrolment code was used: a device's token is given once only")
    if found is None or found.expires_at <= now:
        raise Unprocessable.field("enrolment_code", "is unknown or expired")
    return found


def enrol_device(code: str, device_name: str, clock: Clock) -> Enrolment:
    from chalicelib.store import identity as store

    code_hash = _code_digest(code)
    now = clock.now()
    found = _spendable(store.find_enrolment_code(code_hash), now)
    device_id = ids.new_id("dev", now)
    holder = Holder(
        found.role, doctor_code=found.doctor_code, device_id=device_id, pharmacy_code=found.pharmacy_code
    )
    issued, credential = _issue(holder, clock)
    device = None
    if found.doctor_code is not None:
        device = Device(
            found.doctor_code,
            device_id,
            name=found.name or device_name,
            role=found.role,
            token_id=issued.token_id,
            created_at=now,
        )
    if not store.enrol(found, now, now + SPENT_CODE_KEPT, device, credential):
        # Another enrolment spent the code first (or it expired this very moment).
        _spendable(store.find_enrolment_code(code_hash), now)
        raise Conflict("another enrolment with this code is under way; try again")
    return Enrolment(device_id, issued, found.role, found.doctor_code, found.pharmacy_code)


def list_devices(caller: Principal, limit: int, cursor: dict[str, Any] | None) -> Page[Device]:
    from chalicelib.store import identity as store

    return store.list_devices(caller.practice(), limit, cursor)


def revoke_device(caller: Principal, device_id: str, clock: Clock) -> None:
    from chalicelib.store import identity as store

    if not ids.has_prefix(device_id, "dev"):
        raise NotFound("no such device")
    store.revoke_device(caller.practice(), device_id, clock.now())


def issue_token(
    clock: Clock, *, role: Role, matricule: str | None = None, insurer: str | None = None
) -> IssuedToken:
    """A bearer token for a patient (stands in for the eSanté login) or an insurer."""
    from chalicelib.store import identity as store

    issued, credential = _issue(Holder(role, matricule=matricule, insurer=insurer), clock)
    store.save_credential(credential)
    return issued


def console_operator(aws_identity: str) -> Principal:
    """The operator acting through the command line: whoever holds AWS credentials for the
    stage is one (IAM is the root of trust there), named by that identity."""
    return Principal(role="operator", scope=f"console:{aws_identity}", operator=aws_identity)


def _operator(caller: Principal) -> None:
    if caller.role != "operator":
        raise Forbidden("this is for operators")


def mint_operator_token(caller: Principal, name: str, clock: Clock) -> IssuedToken:
    """An operator's token, naming its holder. Only the operator command line calls this: its
    user holds AWS credentials for the stage, the root of trust."""
    from chalicelib.store import identity as store

    _operator(caller)
    holder = name.strip()
    if not holder:
        raise Unprocessable.field("name", "must name the operator")
    issued, credential = _issue(Holder("operator", operator=holder), clock)
    store.save_credential(credential)
    return issued


def revoke_token(caller: Principal, token_id: str) -> None:
    """A patient's, insurer's, operator's or pharmacy PC's token answers 401 from the next
    request on."""
    from chalicelib.store import identity as store

    _operator(caller)
    found = store.find_credential(token_id) if ids.has_prefix(token_id, "tok") else None
    if found is None:
        raise NotFound("no such token")
    if found.holder.role not in REVOCABLE_BY_OPERATOR:
        raise Conflict("a device's token goes with its device: its practice revokes the device")
    if not store.delete_credential(token_id):
        raise NotFound("no such token")


def end_session(caller: Principal, clock: Clock) -> None:
    """The caller's own token answers 401 from the next request on. A practice's device has
    one token only, so signing it out revokes the device."""
    from chalicelib.store import identity as store

    if caller.token_id is None:
        raise Forbidden("the local stack's bootstrap token is configured, not issued: it cannot end")
    if caller.device_id is not None and caller.doctor_code is not None:
        store.revoke_device(caller.doctor_code, caller.device_id, clock.now())
    elif not store.delete_credential(caller.token_id):
        raise Unauthenticated(_UNKNOWN)


def rotate(caller: Principal, clock: Clock) -> IssuedToken:
    """A new token with a full lifetime for the caller, whose old one stops working at once."""
    from chalicelib.store import identity as store

    if caller.token_id is None or caller.role not in ROTATING_ROLES:
        raise Forbidden(f"only {', '.join(sorted(ROTATING_ROLES))} tokens rotate")
    current = store.find_credential(caller.token_id)
    if current is None:
        raise Unauthenticated(_UNKNOWN)
    issued, credential = _issue(current.holder, clock)
    if not store.rotate(current.token_id, credential):
        raise Unauthenticated(_UNKNOWN)
    return issued
