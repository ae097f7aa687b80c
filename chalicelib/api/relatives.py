"""The patient's relatives: link, accept, list and end the links that let one act for another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import PATIENT, Call, Reply, route
from chalicelib.api.fields import MATRICULE_RULE, Body, Matricule, rule
from chalicelib.core import clock
from chalicelib.domain.relatives import Relationship

if TYPE_CHECKING:
    from chalicelib.services import relatives

bp = Blueprint(__name__)


class NewRelative(Body):
    matricule: Annotated[Matricule, Field(json_schema_extra=rule(f"{MATRICULE_RULE}; not the caller's own"))]
    relationship: Relationship


def link_json(link: relatives.Link) -> dict[str, object]:
    return {
        "link_id": link.link_id,
        "patient_id": link.patient_id,
        "name": link.name,
        "relationship": link.relationship,
        "status": link.status,
        "direction": link.direction,
    }


@route(
    bp,
    "/patient/relatives",
    method="POST",
    roles=PATIENT,
    status=201,
    body=NewRelative,
    answer="Relative",
    idempotent=True,
    errors=(409,),
)
def add(call: Call) -> dict[str, object]:
    """Ask to act for a relative.

    A child under 18 is active at once; anyone else is pending until they accept. A link that
    exists already is 409.
    """
    from chalicelib.services import relatives

    body = call.body(NewRelative)
    return link_json(relatives.add(call.me, body.matricule, body.relationship, clock.current()))


@route(bp, "/patient/relatives", roles=PATIENT, answer="RelativePage")
def list_links(call: Call) -> dict[str, object]:
    """The caller's links, both directions (an addition to the contract)."""
    from chalicelib.services import relatives

    return {
        "items": [link_json(link) for link in relatives.links(call.me, clock.current())],
        "next_cursor": None,
    }


@route(
    bp,
    "/patient/relatives/{link_id}/accept",
    method="POST",
    roles=PATIENT,
    answer="Relative",
    errors=(404,),
)
def accept(call: Call) -> dict[str, object]:
    """The relative asked accepts; the requester may then book and read documents for them."""
    from chalicelib.services import relatives

    return link_json(relatives.accept(call.me, call.params["link_id"], clock.current()))


@route(bp, "/patient/relatives/{link_id}", method="DELETE", roles=PATIENT, status=204, errors=(404,))
def end(call: Call) -> Reply:
    """End a link, from either side: from then on the former relative can read, book, cancel
    and receive nothing of the other."""
    from chalicelib.services import relatives

    relatives.end(call.me, call.params["link_id"])
    return Reply(None, 204)
