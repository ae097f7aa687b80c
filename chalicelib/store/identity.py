"""Doctors, patients (the registry stand-in), devices, enrolment codes and bearer credentials.

Credentials and enrolment codes are keyed by the SHA-256 of the secret: the secret itself is
never stored. Secrets carry 256 (tokens) or 80 (codes, single-use, 24 h) bits of randomness,
so a fast hash is enough; a slow password hash would only add latency to every request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.store.base import (
    Page,
    TableMeta,
    condition_failed,
    connection,
    named,
    page_of,
    resume,
)


class Doctor(Model):
    class Meta(TableMeta):
        table_name = named("doctors")

    doctor_code = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    specialty = UnicodeAttribute(null=True)
    iban = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class Patient(Model):
    class Meta(TableMeta):
        table_name = named("patients")

    matricule = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    insurer = UnicodeAttribute()
    digital_admin = UnicodeAttribute()
    app_active = BooleanAttribute()
    updated_at = UTCDateTimeAttribute()


class Credential(Model):
    """A bearer token's hash and whom it speaks for."""

    class Meta(TableMeta):
        table_name = named("credentials")

    token_hash = UnicodeAttribute(hash_key=True)
    role = UnicodeAttribute()
    doctor_code = UnicodeAttribute(null=True)
    device_id = UnicodeAttribute(null=True)
    matricule = UnicodeAttribute(null=True)
    insurer = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class EnrolmentCode(Model):
    class Meta(TableMeta):
        table_name = named("enrolment-codes")

    code_hash = UnicodeAttribute(hash_key=True)
    doctor_code = UnicodeAttribute()
    role = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    expires_at = UTCDateTimeAttribute()
    # DynamoDB deletes the item some time after expiry; `expires_at` is what the code checks.
    expires = TTLAttribute()


class Device(Model):
    """One PC or assistant of a practice; all of them are billed under the one doctor."""

    class Meta(TableMeta):
        table_name = named("devices")

    doctor_code = UnicodeAttribute(hash_key=True)
    device_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)


def create_doctor(doctor: Doctor, code: EnrolmentCode) -> None:
    """The doctor and its first enrolment code, both or neither."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(doctor, condition=Doctor.doctor_code.does_not_exist())
            tx.save(code)
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise Conflict("a doctor with this doctor_code exists") from exc
        raise


def get_doctor(doctor_code: str) -> Doctor | None:
    try:
        return Doctor.get(doctor_code)
    except DoesNotExist:
        return None


def save_enrolment_code(code: EnrolmentCode) -> None:
    code.save()


def create_patient(patient: Patient) -> None:
    try:
        patient.save(condition=Patient.matricule.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("a patient with this matricule exists") from exc
        raise


def put_patient(patient: Patient) -> None:
    patient.save()


def get_patient(matricule: str) -> Patient | None:
    try:
        return Patient.get(matricule)
    except DoesNotExist:
        return None


def save_credential(credential: Credential) -> None:
    credential.save()


def find_credential(token_hash: str) -> Credential | None:
    try:
        return Credential.get(token_hash)
    except DoesNotExist:
        return None


def enrol(code_hash: str, now: datetime, device: Device, credential: Credential) -> None:
    """Spend the code and create the device and its credential in one transaction, so a code
    works once even when two PCs race with it."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(
                EnrolmentCode(code_hash),
                condition=EnrolmentCode.code_hash.exists() & (EnrolmentCode.expires_at > now),
            )
            tx.save(device)
            tx.save(credential)
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise Unprocessable.field("enrolment_code", "is unknown, used or expired") from exc
        raise


def find_enrolment_code(code_hash: str) -> EnrolmentCode | None:
    try:
        return EnrolmentCode.get(code_hash, consistent_read=True)
    except DoesNotExist:
        return None


def list_devices(doctor_code: str, limit: int, start: dict[str, Any] | None) -> Page[Device]:
    start = resume(start, Device, doctor_code=doctor_code)
    return page_of(Device.query(doctor_code, limit=limit, last_evaluated_key=start), limit)


def revoke_device(doctor_code: str, device_id: str, now: datetime) -> None:
    """Mark the device revoked and delete its credential together: 401 from the next call on."""
    try:
        device = Device.get(doctor_code, device_id, consistent_read=True)
    except DoesNotExist as exc:
        raise NotFound("no such device") from exc
    if device.revoked_at is not None:
        raise NotFound("no such device")
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(
                device,
                actions=[Device.revoked_at.set(now)],
                condition=Device.revoked_at.does_not_exist(),
            )
            tx.delete(Credential(device.token_hash))
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise NotFound("no such device") from exc
        raise
