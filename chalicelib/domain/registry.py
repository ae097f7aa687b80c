"""A patient as the national registry knows them: insurer, digital-administration opt-in, and
who holds parental authority over them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DigitalAdmin = Literal["opted_in", "opted_out"]


@dataclass(frozen=True)
class Patient:
    """`patient_id` (`pat_…`) names the patient in URLs and events; the matricule stays in
    bodies. `guardians` are the matricules of those holding parental authority over a minor,
    as the registry feed sends them."""

    patient_id: str
    matricule: str
    name: str
    insurer: str
    digital_admin: DigitalAdmin
    app_active: bool
    guardians: tuple[str, ...] = ()


def check_guardians(matricule: str, guardians: tuple[str, ...]) -> tuple[str, ...]:
    """The guardians once each, in the feed's order, or ValueError: nobody holds parental
    authority over themself."""
    if matricule in guardians:
        raise ValueError("names the patient themself")
    return tuple(dict.fromkeys(guardians))
