"""The pharmacy's routes: accept a prescription by its QR code, dispense, close, reject."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import PHARMACIST, Call, route
from chalicelib.api.fields import Body, QrText, Text, rule
from chalicelib.api.prescriptions import MedicationIn, items_json, medication_json
from chalicelib.core import clock
from chalicelib.domain import prescription_terms as terms

if TYPE_CHECKING:
    from chalicelib.domain.prescriptions import Prescription

bp = Blueprint(__name__)

# Dispense, close and reject honour `Idempotency-Key`, so a pharmacy whose answer was lost
# sends the step again and gets that answer (the receipt among them), never a second
# dispensing: the key's record commits with the step and carries the prescription as the step
# left it, which later steps change. The accept takes no key: its answer holds the secret,
# which is given once.

Secret = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="The secret the accept answered.",
        json_schema_extra=rule("this pharmacy's secret for the prescription, not void (else 403)"),
    ),
]


class Acceptance(Body):
    qr: Annotated[QrText, Field(description="The text of a prescription's QR code.")]


class DispensedIn(Body):
    index: Annotated[
        int,
        Field(
            ge=0,
            le=terms.MAX_ITEMS - 1,
            description="0-based, into the prescription's items.",
            json_schema_extra=rule("an item of the prescription"),
        ),
    ]
    quantity: Annotated[
        int,
        Field(
            ge=1,
            le=terms.MAX_PACKS,
            description="Packs handed over now.",
            json_schema_extra=rule("with what this dispensing gave before, at most the packs prescribed"),
        ),
    ]
    substituted_with: Annotated[
        MedicationIn | None,
        Field(
            description="The equivalent handed over instead.",
            json_schema_extra=rule("only where the item allows substitution"),
        ),
    ] = None


class Dispensing(Body):
    secret: Secret
    items: Annotated[list[DispensedIn], Field(min_length=1, max_length=terms.MAX_ITEMS)]


class Closing(Body):
    secret: Secret


class Rejection(Body):
    secret: Secret
    reason: Text


def held_json(p: Prescription) -> dict[str, object]:
    """What the holding pharmacy sees: the items, and the patient's name and birth date to
    check their identity (`00` for a month or day the registry does not know)."""
    birth = p.patient[:8]
    return {
        "id": p.prescription_id,
        "status": p.status,
        "items": items_json(p.items),
        "expires_on": p.expires_on.isoformat(),
        "repeats_left": p.repeats_left,
        "patient": {"name": p.patient_name, "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"},
        "dispensed": [
            {
                "index": d.index,
                "quantity": d.quantity,
                "substituted_with": medication_json(d.substituted_with) if d.substituted_with else None,
            }
            for d in p.dispensed
        ],
    }


def closed_json(p: Prescription) -> dict[str, object]:
    """The close's answer: where the prescription stands, and the receipt of its last round."""
    return {
        "id": p.prescription_id,
        "status": p.status,
        "repeats_left": p.repeats_left,
        "receipt": p.rounds[-1].receipt,
    }


def _held_again(call: Call, made: str) -> dict[str, object]:
    """The answer of a dispense or reject retried with its key: the prescription as the first
    request left it."""
    from chalicelib.services import prescriptions

    return held_json(prescriptions.stepped(call.params["prescription_id"], made, call.once))


def _closed_again(call: Call, made: str) -> dict[str, object]:
    """The answer of a close retried with its key, its receipt included."""
    from chalicelib.services import prescriptions

    return closed_json(prescriptions.stepped(call.params["prescription_id"], made, call.once))


@route(
    bp,
    "/pharmacy/prescriptions/accept",
    method="POST",
    roles=PHARMACIST,
    body=Acceptance,
    answer="Accepted",
    errors=(409,),
)
def accept(call: Call) -> dict[str, object]:
    """Accept the prescription a QR code names: this pharmacy holds it (`in_progress`).

    Answers the secret every later step must show, this once; journaled for the patient.
    The holding pharmacy accepting again (its answer was lost) gets a new secret, and the old
    one is void. Held by another pharmacy, completed or cancelled: 409. Expired, forged or
    altered: 422 on `qr`.
    """
    from chalicelib.services import prescriptions

    accepted = prescriptions.accept(call.me, call.body(Acceptance).qr, clock.current())
    return {"prescription": held_json(accepted.prescription), "secret": accepted.secret}


@route(
    bp,
    "/pharmacy/prescriptions/{prescription_id}/dispense",
    method="POST",
    roles=PHARMACIST,
    body=Dispensing,
    answer="HeldPrescription",
    replay=_held_again,
    # Journaled before its transaction: a retry is answered before it would journal again.
    replay_first=True,
    errors=(404, 409),
)
def dispense(call: Call) -> dict[str, object]:
    """Record packs handed over; journaled for the patient.

    Never more than prescribed per item over the dispensing, substitution only where the item
    allows it (422 naming the item). A wrong or void secret: 403.
    """
    from chalicelib.domain.prescriptions import Dispensed, Medication
    from chalicelib.services import prescriptions

    body = call.body(Dispensing)
    lines = tuple(
        Dispensed(
            line.index,
            line.quantity,
            Medication(line.substituted_with.code, line.substituted_with.name)
            if line.substituted_with
            else None,
        )
        for line in body.items
    )
    return held_json(
        prescriptions.dispense(
            call.me, call.params["prescription_id"], body.secret, lines, clock.current(), call.once
        )
    )


@route(
    bp,
    "/pharmacy/prescriptions/{prescription_id}/close",
    method="POST",
    roles=PHARMACIST,
    body=Closing,
    answer="Closed",
    replay=_closed_again,
    errors=(404, 409),
)
def close(call: Call) -> dict[str, object]:
    """Close the dispensing with a signed receipt.

    `completed`, or `ready` again with one repeat less; the secret is void from then on and
    the patient is told (`prescription.dispensed`). Nothing dispensed yet: 409. A wrong or
    void secret: 403.
    """
    from chalicelib.services import prescriptions

    return closed_json(
        prescriptions.close(
            call.me, call.params["prescription_id"], call.body(Closing).secret, clock.current(), call.once
        )
    )


@route(
    bp,
    "/pharmacy/prescriptions/{prescription_id}/reject",
    method="POST",
    roles=PHARMACIST,
    body=Rejection,
    answer="HeldPrescription",
    replay=_held_again,
    errors=(404, 409),
)
def reject(call: Call) -> dict[str, object]:
    """Hand the prescription back: `ready` for any pharmacy, this secret void.

    Once packs were dispensed it must be closed instead: 409. A wrong or void secret: 403.
    """
    from chalicelib.services import prescriptions

    body = call.body(Rejection)
    return held_json(
        prescriptions.reject(call.me, call.params["prescription_id"], body.secret, body.reason, call.once)
    )
