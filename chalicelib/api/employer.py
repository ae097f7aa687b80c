"""The employer's side of a certificate: no account, the share code in the path is the
credential. Unknown, revoked and expired codes are one 404. The API's access logs record the
route's template, never the path, so a code never reaches a log line."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.certificates import employer_json, pdf_response
from chalicelib.api.edge import Call, route
from chalicelib.core import clock

bp = Blueprint(__name__)


@route(bp, "/employer/certificates/{code}", roles=None, answer="EmployerCertificate", errors=(404,))
def employer_certificate(call: Call) -> dict[str, object]:
    """The employer's view of a certificate a patient shared: never the diagnosis.

    Journaled for the patient as an employer's access. Rate limited per address (429).
    """
    from chalicelib.services import certificates

    code = call.params["code"]
    return employer_json(certificates.employer_open(code, clock.current()), code)


@route(bp, "/employer/certificates/{code}/pdf", roles=None, binary="application/pdf", errors=(404,))
def employer_sheet(call: Call) -> Response:
    """The employer's sheet: never the diagnosis, the matricule or an accident.

    Journaled like the view. Send `Accept: application/pdf` (or `*/*`); otherwise 406.
    """
    from chalicelib.services import certificates

    return pdf_response(certificates.employer_open(call.params["code"], clock.current()), "employeur")
