"""A patient as the national registry knows them: insurer and digital-administration opt-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DigitalAdmin = Literal["opted_in", "opted_out"]


@dataclass(frozen=True)
class Patient:
    matricule: str
    name: str
    insurer: str
    digital_admin: DigitalAdmin
    app_active: bool
