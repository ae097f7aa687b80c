"""Answers of the employer's routes: never a diagnosis, a matricule or an accident."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import Answer, Day
from chalicelib.domain.certificate_terms import Kind, Status


class EmployerLinks(Answer):
    pdf: Annotated[str, Field(examples=["/v1/employer/certificates/q3Zk0vXh8mT2Lr6YcWb1Na/pdf"])]


class EmployerCertificate(Answer):
    """The employer's view of a certificate of incapacity for work."""

    patient_name: str
    kind: Kind
    start: Day
    end: Annotated[Day, Field(description="The last day of incapacity, included.")]
    outings_allowed: bool
    status: Status
    practice_name: str
    links: EmployerLinks
