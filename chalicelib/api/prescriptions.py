"""Prescriptions for practice software and for the patient's app, and their JSON shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.edge import DOCTOR, PATIENT, PRACTICE, Call, route
from chalicelib.api.fields import Body, ForQuery, ListQuery, Matricule, PatientId, Text, rule
from chalicelib.core import clock
from chalicelib.domain import prescription_terms as terms
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.prescription_terms import Status

if TYPE_CHECKING:
    from chalicelib.domain.prescriptions import Item, Medication, Prescription

bp = Blueprint(__name__)

MedicationCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=20,
        pattern="^[0-9A-Za-z-]+$",
        description="A code of the medication catalogue; optional (a magistral preparation has none).",
        examples=["0012345"],
        json_schema_extra=rule('in the catalogue; with `repeats`, an "R" medicine'),
    ),
]


class MedicationIn(Body):
    code: MedicationCode | None = None
    name: Annotated[Text, Field(examples=["Paracétamol 500 mg, 20 comprimés"])]


class ItemIn(Body):
    medication: MedicationIn
    quantity: Annotated[int, Field(ge=1, le=terms.MAX_PACKS, description="Packs.")]
    dosage: Annotated[Text, Field(examples=["1 comprimé 3 fois par jour pendant 5 jours"])]
    substitution_allowed: Annotated[
        bool, Field(description="Whether the pharmacy may hand over an equivalent.")
    ]


class NewPrescription(Body):
    patient_matricule: Annotated[Matricule, Field(json_schema_extra=rule("a patient in the registry"))]
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=terms.MAX_ITEMS)]
    repeats: Annotated[
        int,
        Field(ge=0, le=terms.MAX_REPEATS, description='Dispensings after the first, for "R" medicines.'),
    ]
    valid_days: Annotated[
        int,
        Field(
            ge=1,
            le=terms.MAX_VALID_DAYS,
            description="Days after the Luxembourg date of issue it stays valid.",
        ),
    ] = terms.DEFAULT_VALID_DAYS


class Cancellation(Body):
    reason: Text


class PrescriptionQuery(ListQuery):
    patient_id: PatientId | None = None
    status: Status | None = None


class PatientPrescriptionQuery(ListQuery):
    for_: Annotated[PatientId | None, Field(alias="for")] = None
    status: Status | None = None


def medication_json(medication: Medication) -> dict[str, object]:
    return {"code": medication.code, "name": medication.name}


def items_json(items: tuple[Item, ...]) -> list[dict[str, object]]:
    return [
        {
            "medication": medication_json(item.medication),
            "quantity": item.quantity,
            "dosage": item.dosage,
            "substitution_allowed": item.substitution_allowed,
        }
        for item in items
    ]


def _common(p: Prescription) -> dict[str, object]:
    return {
        "id": p.prescription_id,
        "status": p.status,
        "issued_at": rfc3339(p.issued_at),
        "expires_on": p.expires_on.isoformat(),
        "repeats": p.repeats,
        "repeats_left": p.repeats_left,
        "items": items_json(p.items),
        "qr": p.qr,
        "document_id": p.document_id,
    }


def prescription_json(p: Prescription) -> dict[str, object]:
    """The practice's view."""
    return {
        **_common(p),
        "doctor_code": p.doctor_code,
        "patient_id": p.patient_id,
        "catalogue_version": p.catalogue_version,
        "cancel_reason": p.cancel_reason,
        "reject_reason": p.reject_reason,
        "links": {"pdf": f"/v1/prescriptions/{p.prescription_id}/pdf"},
    }


def patient_json(p: Prescription) -> dict[str, object]:
    """The patient's view, with the QR code the app shows at the pharmacy."""
    return {**_common(p), "doctor": {"doctor_code": p.doctor_code, "name": p.practice_name}}


def _items(body: NewPrescription) -> tuple[Item, ...]:
    from chalicelib.domain.prescriptions import Item, Medication

    return tuple(
        Item(
            Medication(item.medication.code, item.medication.name),
            item.quantity,
            item.dosage,
            item.substitution_allowed,
        )
        for item in body.items
    )


def _prescribed(call: Call, prescription_id: str) -> dict[str, object]:
    """The prescription a retried request made first."""
    from chalicelib.services import prescriptions

    return prescription_json(prescriptions.prescribed(call.me, prescription_id))


@route(
    bp,
    "/prescriptions",
    method="POST",
    roles=DOCTOR,
    status=201,
    body=NewPrescription,
    answer="Prescription",
    replay=_prescribed,
    errors=(404,),
)
def prescribe(call: Call) -> dict[str, object]:
    """Prescribe.

    Signs the QR code (it names the prescription and a random 128-bit access code, nothing
    about the patient or the medication), puts the PDF in the patient's record and tells the
    patient (`prescription.issued`). Assistants cannot prescribe (403). A practice whose doctor
    is not registered is 404.
    """
    from chalicelib.services import prescriptions

    body = call.body(NewPrescription)
    request = prescriptions.PrescribeRequest(
        body.patient_matricule, _items(body), body.repeats, body.valid_days
    )
    return prescription_json(prescriptions.prescribe(call.me, request, clock.current(), call.once))


@route(bp, "/prescriptions", roles=PRACTICE, query=PrescriptionQuery, answer="PrescriptionPage")
def list_prescriptions(call: Call) -> dict[str, object]:
    """The practice's prescriptions, newest first; each is journaled for its patient.

    With `status=` a page reads a bounded number of prescriptions, so it may hold fewer than
    `limit`, or none, with a `next_cursor` that resumes after the last one read.
    """
    from chalicelib.services import prescriptions

    query = call.args(PrescriptionQuery)
    page = prescriptions.list_for_practice(
        call.me, query.patient_id, query.status, query.limit, query.cursor, clock.current()
    )
    return {"items": [prescription_json(p) for p in page.items], "next_cursor": page.next_cursor}


@route(bp, "/prescriptions/{prescription_id}", roles=PRACTICE, answer="Prescription", errors=(404,))
def get_prescription(call: Call) -> dict[str, object]:
    """One prescription of the practice; journaled for the patient."""
    from chalicelib.services import prescriptions

    return prescription_json(prescriptions.read(call.me, call.params["prescription_id"], clock.current()))


@route(bp, "/prescriptions/{prescription_id}/pdf", roles=PRACTICE, binary="application/pdf", errors=(404,))
def prescription_pdf(call: Call) -> Response:
    """The A4 prescription in French, with its QR code; the same bytes as the patient's copy.

    The request must send `Accept: application/pdf` (or `*/*`), else 406.
    """
    from chalicelib.services import prescriptions

    found = prescriptions.read(call.me, call.params["prescription_id"], clock.current())
    return Response(
        prescriptions.render_pdf(found),
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{found.prescription_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@route(
    bp,
    "/prescriptions/{prescription_id}/cancel",
    method="POST",
    roles=DOCTOR,
    body=Cancellation,
    answer="Prescription",
    errors=(404, 409),
)
def cancel(call: Call) -> dict[str, object]:
    """Cancel a prescription while it is `ready`; in any other status, 409.

    The patient is told (`prescription.cancelled`).
    """
    from chalicelib.services import prescriptions

    body = call.body(Cancellation)
    return prescription_json(
        prescriptions.cancel(call.me, call.params["prescription_id"], body.reason, clock.current())
    )


@route(
    bp,
    "/patient/prescriptions",
    roles=PATIENT,
    query=PatientPrescriptionQuery,
    answer="PatientPrescriptionPage",
)
def patient_prescriptions(call: Call) -> dict[str, object]:
    """The patient's prescriptions (or a relative's, with `for=`), newest first, with their QR codes."""
    from chalicelib.services import prescriptions

    query = call.args(PatientPrescriptionQuery)
    page = prescriptions.list_for_patient(
        call.me, query.for_, query.status, query.limit, query.cursor, clock.current()
    )
    return {"items": [patient_json(p) for p in page.items], "next_cursor": page.next_cursor}


@route(
    bp,
    "/patient/prescriptions/{prescription_id}",
    roles=PATIENT,
    query=ForQuery,
    answer="PatientPrescription",
    errors=(404,),
)
def patient_prescription(call: Call) -> dict[str, object]:
    """One of the patient's prescriptions (or a relative's, with `for=`), with its QR code."""
    from chalicelib.services import prescriptions

    query = call.args(ForQuery)
    return patient_json(
        prescriptions.for_patient(call.me, query.for_, call.params["prescription_id"], clock.current())
    )
