"""Certificates of incapacity for work: the doctor's, the insurer's and the patient's routes,
and their three views. Only the doctor's and the insurer's views carry the diagnosis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.edge import DOCTOR, INSURER, PATIENT, Call, Reply, route
from chalicelib.api.fields import (
    Body,
    Day,
    Flag,
    ForQuery,
    ListQuery,
    Matricule,
    PatientId,
    Text,
    rule,
)
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339, rfc3339_or_none
from chalicelib.domain.certificate_terms import Kind, Sheet, Status

if TYPE_CHECKING:
    from chalicelib.domain.certificates import Certificate
    from chalicelib.services.certificates import NewShare as MadeShare

bp = Blueprint(__name__)


class NewCertificate(Body):
    patient_matricule: Annotated[Matricule, Field(json_schema_extra=rule("a patient in the registry"))]
    kind: Kind
    start: Annotated[
        Day,
        Field(
            description="The first day of incapacity.",
            json_schema_extra=rule(
                "for an initial certificate, at most 2 days before the day of issue (for a "
                "correction, before the day the replaced certificate was issued)"
            ),
        ),
    ]
    end: Annotated[
        Day,
        Field(
            description="The last day of incapacity, included.",
            json_schema_extra=rule("not before start, nor more than one year after it"),
        ),
    ]
    diagnosis_code: Annotated[
        str,
        Field(
            min_length=3,
            max_length=8,
            description="ICD-10, shown to the insurer alone; lower case and a missing dot are put right.",
            examples=["J06.9"],
            json_schema_extra=rule("A00 to Z99, then optionally `.` and 1 or 2 characters"),
        ),
    ]
    outings_allowed: bool
    accident: bool
    replaces: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=40,
            description="The certificate this one corrects; it becomes `superseded`.",
            examples=["cit_01KB3X4Y5Z6A7B8C9D0E1F2G3H"],
            json_schema_extra=rule("a certificate in force of the same patient from this practice"),
        ),
    ] = None


class Cancellation(Body):
    reason: Text


class PracticeQuery(ListQuery):
    patient_id: PatientId | None = None


class InsurerQuery(ListQuery):
    status: Annotated[
        Status | None, Field(json_schema_extra=rule("`issued` or `superseded`: nothing cancelled is sent"))
    ] = None
    late: Annotated[
        Flag | None,
        Field(description="Transmitted after the end of the 3rd working day from `start` (true), or not."),
    ] = None


class PatientQuery(ListQuery):
    for_: Annotated[PatientId | None, Field(alias="for")] = None


class NewShare(Body):
    employer_name: Annotated[
        Text | None, Field(description='Shown to the patient in the access journal; "employer" if absent.')
    ] = None


def _dates(c: Certificate) -> dict[str, object]:
    return {
        "kind": c.kind,
        "start": c.start.isoformat(),
        "end": c.end.isoformat(),
        "outings_allowed": c.outings_allowed,
        "status": c.status,
    }


def patient_json(c: Certificate) -> dict[str, object]:
    """The patient's view: no diagnosis."""
    return {
        "id": c.certificate_id,
        **_dates(c),
        "patient_id": c.patient_id,
        "accident": c.accident,
        "insurer": c.insurer,
        "doctor_code": c.doctor_code,
        "practice_name": c.practice_name,
        "issued_at": rfc3339(c.issued_at),
        "deadlines": {
            "employer_by": c.deadlines.employer_by.isoformat(),
            "insurer_by": c.deadlines.insurer_by.isoformat(),
        },
        "replaces": c.replaces,
        "superseded_by": c.superseded_by,
        "acknowledged_at": rfc3339_or_none(c.acknowledged_at),
        "qr": c.qr,
        "links": {"pdf": f"/v1/patient/certificates/{c.certificate_id}/pdf"},
    }


def _full(c: Certificate) -> dict[str, object]:
    return {
        **patient_json(c),
        "patient_matricule": c.patient_matricule,
        "diagnosis_code": c.diagnosis_code,
        "late": c.late,
        "cancel_until": rfc3339(c.cancel_until),
        "cancelled_at": rfc3339_or_none(c.cancelled_at),
        "cancel_reason": c.cancel_reason,
    }


def practice_json(c: Certificate) -> dict[str, object]:
    """The issuing doctor's view, with the diagnosis the doctor wrote."""
    return {
        **_full(c),
        "vault": {"stored": c.document_id is not None, "document_id": c.document_id},
        "links": {"pdf": f"/v1/certificates/{c.certificate_id}/pdf"},
    }


def insurer_json(c: Certificate) -> dict[str, object]:
    """The insurer's view, with the diagnosis."""
    return {
        **_full(c),
        "transmitted_at": rfc3339(c.transmitted_at),
        "links": {"pdf": f"/v1/insurer/certificates/{c.certificate_id}/pdf"},
    }


def employer_json(c: Certificate, code: str) -> dict[str, object]:
    """The employer's view: what API.md lists, never the diagnosis."""
    return {
        "patient_name": c.patient_name,
        **_dates(c),
        "practice_name": c.practice_name,
        "links": {"pdf": f"/v1/employer/certificates/{code}/pdf"},
    }


def pdf_response(c: Certificate, which: Sheet) -> Response:
    from chalicelib.services import certificates

    return Response(
        certificates.sheet(c, which),
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{c.certificate_id}-{which}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


# The doctor.


def _issued(call: Call, certificate_id: str) -> dict[str, object]:
    """The certificate a retried request issued first."""
    from chalicelib.services import certificates

    return practice_json(certificates.issued(call.me, certificate_id))


@route(
    bp,
    "/certificates",
    method="POST",
    roles=DOCTOR,
    status=201,
    body=NewCertificate,
    answer="Certificate",
    replay=_issued,
    errors=(404, 409),
)
def issue(call: Call) -> dict[str, object]:
    """Issue a certificate of incapacity for work.

    The certificate reaches the patient's insurer when its cancel window closes
    (`cancel_until`, an hour after issue); until then the doctor may cancel it. `deadlines`
    says by when the employer (the 3rd day of absence, or the next working day) and the
    insurer (the end of the 3rd working day from `start`, Luxembourg public holidays not
    counted) must have it. The patient's sheet goes to the patient's record, and
    `certificate.issued` to the patient. A correction names the certificate it `replaces`.
    """
    from chalicelib.services import certificates

    body = call.body(NewCertificate)
    request = certificates.IssueRequest(
        patient_matricule=body.patient_matricule,
        kind=body.kind,
        start=body.start,
        end=body.end,
        diagnosis_code=body.diagnosis_code,
        outings_allowed=body.outings_allowed,
        accident=body.accident,
        replaces=body.replaces,
    )
    return practice_json(certificates.issue(call.me, request, clock.current(), call.once))


@route(bp, "/certificates", roles=DOCTOR, query=PracticeQuery, answer="CertificatePage")
def list_certificates(call: Call) -> dict[str, object]:
    """The practice's certificates, newest first; each is journaled for its patient."""
    from chalicelib.services import certificates

    query = call.args(PracticeQuery)
    page = certificates.list_for_practice(
        call.me, query.patient_id, query.limit, query.cursor, clock.current()
    )
    return {"items": [practice_json(c) for c in page.items], "next_cursor": page.next_cursor}


@route(bp, "/certificates/{certificate_id}", roles=DOCTOR, answer="Certificate", errors=(404,))
def get_certificate(call: Call) -> dict[str, object]:
    """One certificate of the practice (doctors only: it carries a diagnosis); journaled."""
    from chalicelib.services import certificates

    return practice_json(certificates.read(call.me, call.params["certificate_id"], clock.current()))


@route(bp, "/certificates/{certificate_id}/pdf", roles=DOCTOR, binary="application/pdf", errors=(404,))
def certificate_pdf(call: Call) -> Response:
    """The patient's sheet, to print for the patient; journaled.

    Send `Accept: application/pdf` (or `*/*`); any other Accept header, or none, is 406.
    """
    from chalicelib.services import certificates

    return pdf_response(certificates.read(call.me, call.params["certificate_id"], clock.current()), "assure")


@route(
    bp,
    "/certificates/{certificate_id}/cancel",
    method="POST",
    roles=DOCTOR,
    body=Cancellation,
    answer="Certificate",
    errors=(404, 409),
)
def cancel(call: Call) -> dict[str, object]:
    """Cancel a certificate before `cancel_until`.

    Cancelled again, it answers unchanged. After `cancel_until`, or once replaced, 409: issue
    a correction that `replaces` it. Tells the patient (`certificate.cancelled`).
    """
    from chalicelib.services import certificates

    body = call.body(Cancellation)
    found = certificates.cancel(call.me, call.params["certificate_id"], body.reason, clock.current())
    return practice_json(found)


# The insurer.


@route(bp, "/insurer/certificates", roles=INSURER, query=InsurerQuery, answer="InsurerCertificatePage")
def insurer_certificates(call: Call) -> dict[str, object]:
    """The certificates the insurer received, oldest first; another insurer's never.

    A certificate is received once its cancel window closed (`transmitted_at`); a cancelled
    one never is. `status=` and `late=` each read only what they answer; both together read a
    bounded number of certificates a page, so such a page may hold fewer than `limit`, or
    none, with a `next_cursor` that resumes right after the last one read. A list ends when
    `next_cursor` is null, never at a short page. Each certificate listed is journaled.
    """
    from chalicelib.services import certificates

    query = call.args(InsurerQuery)
    page = certificates.queue(call.me, query.status, query.late, query.limit, query.cursor, clock.current())
    return {"items": [insurer_json(c) for c in page.items], "next_cursor": page.next_cursor}


@route(
    bp, "/insurer/certificates/{certificate_id}", roles=INSURER, answer="InsurerCertificate", errors=(404,)
)
def insurer_certificate(call: Call) -> dict[str, object]:
    """One certificate the insurer received, with the diagnosis; journaled."""
    from chalicelib.services import certificates

    return insurer_json(certificates.for_insurer(call.me, call.params["certificate_id"], clock.current()))


@route(
    bp,
    "/insurer/certificates/{certificate_id}/pdf",
    roles=INSURER,
    binary="application/pdf",
    errors=(404,),
)
def insurer_sheet(call: Call) -> Response:
    """The insurer's sheet, with the diagnosis; journaled.

    Send `Accept: application/pdf` (or `*/*`); any other Accept header, or none, is 406.
    """
    from chalicelib.services import certificates

    found = certificates.for_insurer(call.me, call.params["certificate_id"], clock.current())
    return pdf_response(found, "caisse")


@route(
    bp,
    "/insurer/certificates/{certificate_id}/acknowledge",
    method="POST",
    roles=INSURER,
    answer="Acknowledgement",
    errors=(404,),
)
def acknowledge(call: Call) -> dict[str, object]:
    """Acknowledge receipt; the patient is told (`certificate.transmitted`). Again, it
    answers the first receipt."""
    from chalicelib.services import certificates

    found = certificates.acknowledge(call.me, call.params["certificate_id"], clock.current())
    assert found.acknowledged_at is not None
    return {"id": found.certificate_id, "acknowledged_at": rfc3339(found.acknowledged_at)}


# The patient, or a relative with `for=`.


@route(bp, "/patient/certificates", roles=PATIENT, query=PatientQuery, answer="PatientCertificatePage")
def patient_certificates(call: Call) -> dict[str, object]:
    """The patient's certificates, newest first (no diagnosis)."""
    from chalicelib.services import certificates

    query = call.args(PatientQuery)
    page = certificates.list_for_patient(call.me, query.for_, query.limit, query.cursor, clock.current())
    return {"items": [patient_json(c) for c in page.items], "next_cursor": page.next_cursor}


@route(
    bp,
    "/patient/certificates/{certificate_id}",
    roles=PATIENT,
    query=ForQuery,
    answer="PatientCertificate",
    errors=(404,),
)
def patient_certificate(call: Call) -> dict[str, object]:
    """One of the patient's certificates (no diagnosis)."""
    from chalicelib.services import certificates

    query = call.args(ForQuery)
    return patient_json(
        certificates.of_patient(call.me, query.for_, call.params["certificate_id"], clock.current())
    )


@route(
    bp,
    "/patient/certificates/{certificate_id}/pdf",
    roles=PATIENT,
    query=ForQuery,
    binary="application/pdf",
    errors=(404,),
)
def patient_sheet(call: Call) -> Response:
    """The patient's sheet (no diagnosis).

    Send `Accept: application/pdf` (or `*/*`); any other Accept header, or none, is 406.
    """
    from chalicelib.services import certificates

    query = call.args(ForQuery)
    found = certificates.of_patient(call.me, query.for_, call.params["certificate_id"], clock.current())
    return pdf_response(found, "assure")


def share_json(made: MadeShare) -> dict[str, object]:
    return {
        "code": made.code,
        "url": f"/v1/employer/certificates/{made.code}",
        "expires_at": rfc3339(made.share.expires_at),
    }


def _shared(call: Call, made: str) -> dict[str, object]:
    """The share a retried request made first, its code included."""
    from chalicelib.services import certificates

    query = call.args(ForQuery)
    return share_json(
        certificates.shared(
            call.me, query.for_, call.params["certificate_id"], made, call.once, clock.current()
        )
    )


@route(
    bp,
    "/patient/certificates/{certificate_id}/employer-shares",
    method="POST",
    roles=PATIENT,
    status=201,
    body=NewShare,
    query=ForQuery,
    answer="EmployerShare",
    replay=_shared,
    # A relative's share is journaled before its transaction: a retry is answered first.
    replay_first=True,
    errors=(404, 409),
)
def share(call: Call) -> dict[str, object]:
    """Give the employer a link to the certificate, valid 30 days.

    The code (128 bits) is shown this once: DHN keeps only its hash. Whoever holds it reads
    the employer's view and sheet, never the diagnosis; each opening is journaled. A
    cancelled certificate is 409.
    """
    from chalicelib.services import certificates

    query = call.args(ForQuery)
    body = call.body(NewShare)
    return share_json(
        certificates.share(
            call.me, query.for_, call.params["certificate_id"], body.employer_name, clock.current(), call.once
        )
    )


@route(
    bp,
    "/patient/certificates/{certificate_id}/employer-shares/{code}",
    method="DELETE",
    roles=PATIENT,
    status=204,
    query=ForQuery,
    errors=(404,),
)
def revoke(call: Call) -> Reply:
    """Revoke an employer's link: its code answers 404 from now on. Again, 204."""
    from chalicelib.services import certificates

    query = call.args(ForQuery)
    params = call.params
    certificates.revoke(call.me, query.for_, params["certificate_id"], params["code"], clock.current())
    return Reply(None, 204)
