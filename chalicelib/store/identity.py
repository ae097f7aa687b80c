"""Doctors, patients (the registry stand-in), devices, enrolment codes and bearer credentials.

Credentials are keyed by their token_id, which the token's text carries next to its secret,
so that a token is checked, and revoked, by key with one strongly consistent read: no index,
which DynamoDB never reads consistently. A credential keeps the SHA-256 of the token, and an
enrolment code is keyed by the SHA-256 of the code: no secret itself is ever stored. Secrets
carry 256 (tokens) or 80 (codes, single-use, 24 h) bits of randomness, so a fast hash is
enough; a slow password hash would only add latency to every request.

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
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.cursor import Page
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.domain import identity, registry
from chalicelib.domain.roles import Role
from chalicelib.store.base import (
    TableMeta,
    named,
    page_of,
    resume,
    transact,
)

# A revocation that keeps losing races with the device's rotations gives up after this many.
_REVOKE_ATTEMPTS = 3


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
    """A bearer token's hash, its expiry and whom it speaks for."""

    class Meta(TableMeta):
        table_name = named("tokens")

    token_id = UnicodeAttribute(hash_key=True)
    secret_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    doctor_code = UnicodeAttribute(null=True)
    device_id = UnicodeAttribute(null=True)
    matricule = UnicodeAttribute(null=True)
    insurer = UnicodeAttribute(null=True)
    operator = UnicodeAttribute(null=True)
    pharmacy_code = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    # DynamoDB deletes the item some time after expiry; `expires_at` is what the code checks.
    expires = TTLAttribute()


class EnrolmentCode(Model):
    class Meta(TableMeta):
        table_name = named("enrolment-codes")

    code_hash = UnicodeAttribute(hash_key=True)
    # One of the two: the practice, or the pharmacy, the device joins.
    doctor_code = UnicodeAttribute(null=True)
    pharmacy_code = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    expires_at = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    # DynamoDB deletes the item some time after expiry, or after it was spent; `expires_at`
    # and `used_at` are what the code checks.
    expires = TTLAttribute()


class Device(Model):
    """One PC or assistant of a practice; all of them are billed under the one doctor."""

    class Meta(TableMeta):
        table_name = named("devices")

    doctor_code = UnicodeAttribute(hash_key=True)
    device_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    token_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)


def _role(stored: str) -> Role:
    # Every role stored was written from a `Role`.
    return cast("Role", stored)


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
    holder = identity.Holder(
        _role(item.role),
        doctor_code=item.doctor_code,
        device_id=item.device_id,
        matricule=item.matricule,
        insurer=item.insurer,
        operator=item.operator,
        pharmacy_code=item.pharmacy_code,
    )
    return identity.Credential(item.token_id, item.secret_hash, holder, item.created_at, item.expires_at)


def _credential_item(credential: identity.Credential) -> Credential:
    holder = credential.holder
    return Credential(
        credential.token_id,
        secret_hash=credential.secret_hash,
        role=holder.role,
        doctor_code=holder.doctor_code,
        device_id=holder.device_id,
        matricule=holder.matricule,
        insurer=holder.insurer,
        operator=holder.operator,
        pharmacy_code=holder.pharmacy_code,
        created_at=credential.created_at,
        expires_at=credential.expires_at,
        expires=credential.expires_at,
    )


def _code(item: EnrolmentCode) -> identity.EnrolmentCode:
    return identity.EnrolmentCode(
        item.code_hash,
        item.doctor_code,
        _role(item.role),
        item.name,
        item.expires_at,
        item.used_at,
        pharmacy_code=item.pharmacy_code,
    )


def _code_item(code: identity.EnrolmentCode) -> EnrolmentCode:
    return EnrolmentCode(
        code.code_hash,
        doctor_code=code.doctor_code,
        pharmacy_code=code.pharmacy_code,
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
        item.token_id,
        item.created_at,
        item.revoked_at,
    )


def _device_item(device: identity.Device) -> Device:
    return Device(
        device.doctor_code,
        device.device_id,
        name=device.name,
        role=device.role,
        token_id=device.token_id,
        created_at=device.created_at,
        revoked_at=device.revoked_at,
    )


def create_doctor(doctor: identity.Doctor, code: identity.EnrolmentCode) -> None:
    """The doctor and its first enrolment code, both or neither."""

    def write(tx: TransactWrite) -> None:
        tx.save(_doctor_item(doctor), condition=Doctor.doctor_code.does_not_exist())
        tx.save(_code_item(code))

    if not transact(write):
        raise Conflict("a doctor with this doctor_code exists")


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
    _credential_item(credential).save(condition=Credential.token_id.does_not_exist())


def find_credential(token_id: str) -> identity.Credential | None:
    """Strongly consistent: a token revoked a moment ago is not found."""
    try:
        return _credential(Credential.get(token_id, consistent_read=True))
    except DoesNotExist:
        return None


def delete_credential(token_id: str) -> bool:
    """Revoke a token; False when there was none by that id (any more)."""
    try:
        Credential(token_id).delete(condition=Credential.token_id.exists())
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def enrol(
    code: identity.EnrolmentCode,
    now: datetime,
    keep_until: datetime,
    device: identity.Device | None,
    credential: identity.Credential,
) -> bool:
    """Spend the code, kept until `keep_until`, and create the device (a practice's: a
    pharmacy keeps no list of devices) and its credential in one transaction, so that a code
    works once even when two PCs race with it. False when the code was spent, or expired,
    meanwhile."""

    def write(tx: TransactWrite) -> None:
        tx.update(
            EnrolmentCode(code.code_hash),
            actions=[EnrolmentCode.used_at.set(now), EnrolmentCode.expires.set(keep_until)],
            condition=EnrolmentCode.code_hash.exists()
            & EnrolmentCode.used_at.does_not_exist()
            & (EnrolmentCode.expires_at > now),
        )
        if device is not None:
            tx.save(_device_item(device), condition=Device.device_id.does_not_exist())
        tx.save(_credential_item(credential), condition=Credential.token_id.does_not_exist())

    return transact(write)


def rotate(old_token_id: str, new: identity.Credential) -> bool:
    """Replace a credential by `new` in one transaction, a device's pointer to it included:
    the old token stops working as the new one starts. False when the old one was revoked
    (or rotated) meanwhile."""

    def write(tx: TransactWrite) -> None:
        tx.delete(Credential(old_token_id), condition=Credential.token_id.exists())
        tx.save(_credential_item(new), condition=Credential.token_id.does_not_exist())
        holder = new.holder
        if holder.doctor_code is not None and holder.device_id is not None:
            tx.update(
                Device(holder.doctor_code, holder.device_id),
                actions=[Device.token_id.set(new.token_id)],
                condition=(Device.token_id == old_token_id) & Device.revoked_at.does_not_exist(),
            )

    return transact(write)


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
    """Mark the device revoked and delete its current credential together: 401 from the next
    call on. A revocation that races with the device rotating its token reads it again, so
    that the token the device holds by then is the one deleted."""
    for _ in range(_REVOKE_ATTEMPTS):
        try:
            device = Device.get(doctor_code, device_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound("no such device") from exc
        if device.revoked_at is not None:
            raise NotFound("no such device")

        def write(tx: TransactWrite, device: Device = device) -> None:
            tx.update(
                device,
                actions=[Device.revoked_at.set(now)],
                condition=Device.revoked_at.does_not_exist() & (Device.token_id == device.token_id),
            )
            tx.delete(Credential(device.token_id))

        if transact(write):
            return
    raise Conflict("the device changed while it was being revoked; try again")


class Pharmacy(Model):
    class Meta(TableMeta):
        table_name = named("pharmacies")

    pharmacy_code = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


def create_pharmacy(pharmacy: identity.Pharmacy, code: identity.EnrolmentCode) -> None:
    """The pharmacy and its first enrolment code, both or neither."""

    def write(tx: TransactWrite) -> None:
        tx.save(
            Pharmacy(pharmacy.pharmacy_code, name=pharmacy.name, created_at=pharmacy.created_at),
            condition=Pharmacy.pharmacy_code.does_not_exist(),
        )
        tx.save(_code_item(code))

    if not transact(write):
        raise Conflict("a pharmacy with this pharmacy_code exists")


def get_pharmacy(pharmacy_code: str) -> identity.Pharmacy | None:
    try:
        item = Pharmacy.get(pharmacy_code)
    except DoesNotExist:
        return None
    return identity.Pharmacy(item.pharmacy_code, item.name, item.created_at)
