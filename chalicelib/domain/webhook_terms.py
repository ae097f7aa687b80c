"""The words and bounds of a webhook endpoint that a request may use: the event types and the
longest URL.

Apart from the records of `domain.webhooks`, so that the blueprint declaring requests' shapes
loads no record class at a cold start.
"""

from __future__ import annotations

from typing import Literal

EventType = Literal[
    "invoice.issued",
    "document.received",
    "claim.submitted",
    "claim.decided",
    "claim.withdrawn",
    "appointment.booked",
    "appointment.cancelled",
    "appointment.reminder",
    "record.accessed",
    "prescription.issued",
    "prescription.dispensed",
    "prescription.cancelled",
    "certificate.issued",
    "certificate.transmitted",
    "certificate.cancelled",
    "vaccination.recorded",
    "vaccination.due",
]

MAX_URL_LENGTH = 2048
