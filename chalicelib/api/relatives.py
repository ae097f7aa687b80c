"""The patient's relatives: link, accept, list and end the links that let one act for another."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.edge import PATIENT, Call, Reply, route
from chalicelib.api.fields import Body, Matricule, path_matricule
from chalicelib.core import clock
from chalicelib.domain.relatives import Relationship
from chalicelib.services import relatives

bp = Blueprint(__name__)


class NewRelative(Body):
    matricule: Matricule
    relationship: Relationship


def link_json(link: relatives.Link) -> dict[str, object]:
    return {
        "matricule": link.matricule,
        "relationship": link.relationship,
        "status": link.status,
        "direction": link.direction,
        "usable": link.usable,
    }


@route(bp, "/patient/relatives", method="POST", roles=PATIENT, status=201, idempotent=True)
def add(call: Call) -> dict[str, object]:
    body = call.body(NewRelative)
    return link_json(relatives.add(call.me, body.matricule, body.relationship, clock.current()))


@route(bp, "/patient/relatives", roles=PATIENT)
def list_links(call: Call) -> dict[str, object]:
    return {
        "items": [link_json(link) for link in relatives.links(call.me, clock.current())],
        "next_cursor": None,
    }


@route(bp, "/patient/relatives/{matricule}/accept", method="POST", roles=PATIENT)
def accept(call: Call) -> dict[str, object]:
    return link_json(relatives.accept(call.me, path_matricule(call), clock.current()))


@route(bp, "/patient/relatives/{matricule}", method="DELETE", roles=PATIENT)
def end(call: Call) -> Reply:
    relatives.end(call.me, path_matricule(call))
    return Reply(None, 204)
