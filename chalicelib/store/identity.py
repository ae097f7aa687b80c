"""Doctors, patients (the registry stand-in), devices, enrolment codes and bearer credentials.

Credentials and enrolment codes are keyed by the SHA-256 of the secret: the secret itself is
never stored. Secrets carry 256 (tokens) or 80 (codes, single-use, 24 h) bits of randomness,
so a fast hash is enough; a slow password hash would only add latency to every request.

The models stay in this module: it takes and returns the records of `domain.identity` and
`domain.registry`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pynamodb.attributes import (
    BooleanAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.cursor import Page
from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.domain import identity, registry
from chalicelib.store.base import (
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


class ByPatientId(GlobalSecondaryIndex["Patient"]):
    """From a `patient_id` in a URL to the matricule; the item itself is then read by its key,
    strongly consistent, so guardians just changed by the feed count at once."""

    class Meta:
        index_name = "by-patient-id"
        projection = KeysOnlyProjection()

    patient_id = UnicodeAttribute(hash_key=True)


class Patient(Model):
    class Meta(TableMeta):
        table_name = named("patients")

    matricule = UnicodeAttribute(hash_key=True)
    patient_id = UnicodeAttribute()
    name = UnicodeAttribute()
    insurer = UnicodeAttribute()
    digital_admin = UnicodeAttribute()
    app_active = BooleanAttribute()
    # DynamoDB stores no empty set: a patient without guardians has none stored.
    guardians = UnicodeSetAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    by_patient_id = ByPatientId()


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


def _role(stored: str) -> identity.Role:
    # Every role stored was written from a `Role`.
    return cast("identity.Role", stored)


def _doctor(item: Doctor) -> identity.Doctor:
    return identity.Doctor(item.doctor_code, item.name, item.specialty, item.iban, item.created_at)


def _doctor_item(doctor: identity.Doctor) -> Doctor:
    return Doctor(
        doctor.doctor_code,
        name=doctor.name,
        specialty=doctor.specialty,
        iban=doctor.iban,
        created_at=doctor.created_at,
    )


def _patient(item: Patient) -> registry.Patient:
    return registry.Patient(
        item.patient_id,
        item.matricule,
        item.name,
        item.insurer,
        cast("registry.DigitalAdmin", item.digital_admin),
        item.app_active,
        tuple(sorted(item.guardians or ())),
    )


def _patient_item(patient: registry.Patient, at: datetime) -> Patient:
    return Patient(
        patient.matricule,
        patient_id=patient.patient_id,
        name=patient.name,
        insurer=patient.insurer,
        digital_admin=patient.digital_admin,
        app_active=patient.app_active,
        guardians=set(patient.guardians) or None,
        updated_at=at,
    )


def _credential(item: Credential) -> identity.Credential:
    return identity.Credential(
        item.token_hash,
        _role(item.role),
        item.created_at,
        doctor_code=item.doctor_code,
        device_id=item.device_id,
        matricule=item.matricule,
        insurer=item.insurer,
    )


def _credential_item(credential: identity.Credential) -> Credential:
    return Credential(
        credential.token_hash,
        role=credential.role,
        doctor_code=credential.doctor_code,
        device_id=credential.device_id,
        matricule=credential.matricule,
        insurer=credential.insurer,
        created_at=credential.created_at,
    )


def _code(item: EnrolmentCode) -> identity.EnrolmentCode:
    return identity.EnrolmentCode(
        item.code_hash, item.doctor_code, _role(item.role), item.name, item.expires_at
    )


def _code_item(code: identity.EnrolmentCode) -> EnrolmentCode:
    return EnrolmentCode(
        code.code_hash,
        doctor_code=code.doctor_code,
        role=code.role,
        name=code.name,
        expires_at=code.expires_at,
        expires=code.expires_at,
    )


def _device(item: Device) -> identity.Device:
    return identity.Device(
        item.doctor_code,
        item.device_id,
        item.name,
        _role(item.role),
        item.token_hash,
        item.created_at,
        item.revoked_at,
    )


def _device_item(device: identity.Device) -> Device:
    return Device(
        device.doctor_code,
        device.device_id,
        name=device.name,
        role=device.role,
        token_hash=device.token_hash,
        created_at=device.created_at,
        revoked_at=device.revoked_at,
    )


def create_doctor(doctor: identity.Doctor, code: identity.EnrolmentCode) -> None:
    """The doctor and its first enrolment code, both or neither."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(_doctor_item(doctor), condition=Doctor.doctor_code.does_not_exist())
            tx.save(_code_item(code))
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise Conflict("a doctor with this doctor_code exists") from exc
        raise


def get_doctor(doctor_code: str) -> identity.Doctor | None:
    try:
        return _doctor(Doctor.get(doctor_code))
    except DoesNotExist:
        return None


def save_enrolment_code(code: identity.EnrolmentCode) -> None:
    _code_item(code).save()


def create_patient(patient: registry.Patient, at: datetime) -> None:
    try:
        _patient_item(patient, at).save(condition=Patient.matricule.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("a patient with this matricule exists") from exc
        raise


def replace_patient(patient: registry.Patient, at: datetime) -> None:
    """Replace the whole record; the patient keeps the `patient_id` it was registered with."""
    try:
        _patient_item(patient, at).save(condition=Patient.patient_id == patient.patient_id)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound("no such patient") from exc
        raise


def get_patient(matricule: str) -> registry.Patient | None:
    """Strongly consistent: who holds parental authority is checked on every use."""
    try:
        return _patient(Patient.get(matricule, consistent_read=True))
    except DoesNotExist:
        return None


def patient_by_id(patient_id: str) -> registry.Patient | None:
    """One Query on the `patient_id` index, then the item by its key."""
    for key in Patient.by_patient_id.query(patient_id, limit=1):
        return get_patient(key.matricule)
    return None


def patients(matricules: set[str]) -> dict[str, registry.Patient]:
    """The registered ones among `matricules`, by matricule, in one batch read."""
    if not matricules:
        return {}
    return {
        item.matricule: _patient(item) for item in Patient.batch_get(sorted(matricules), consistent_read=True)
    }


def save_credential(credential: identity.Credential) -> None:
    _credential_item(credential).save()


def find_credential(token_hash: str) -> identity.Credential | None:
    try:
        return _credential(Credential.get(token_hash))
    except DoesNotExist:
        return None


def enrol(code_hash: str, now: datetime, device: identity.Device, credential: identity.Credential) -> None:
    """Spend the code and create the device and its credential in one transaction, so a code
    works once even when two PCs race with it."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(
                EnrolmentCode(code_hash),
                condition=EnrolmentCode.code_hash.exists() & (EnrolmentCode.expires_at > now),
            )
            tx.save(_device_item(device))
            tx.save(_credential_item(credential))
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise Unprocessable.field("enrolment_code", "is unknown, used or expired") from exc
        raise


def find_enrolment_code(code_hash: str) -> identity.EnrolmentCode | None:
    try:
        return _code(EnrolmentCode.get(code_hash, consistent_read=True))
    except DoesNotExist:
        return None


def list_devices(doctor_code: str, limit: int, start: dict[str, Any] | None) -> Page[identity.Device]:
    start = resume(start, Device, doctor_code=doctor_code)
    page = page_of(Device.query(doctor_code, limit=limit, last_evaluated_key=start), limit)
    return Page([_device(item) for item in page.items], page.next_cursor)


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
