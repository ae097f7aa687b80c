"""Answers of the relatives' routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import Answer, LinkId, Page, PatientId
from chalicelib.domain.relatives import Relationship


class Relative(Answer):
    """A link as the caller sees it."""

    link_id: LinkId
    patient_id: Annotated[
        PatientId | None, Field(description="The other person's; null while the link is pending.")
    ]
    name: Annotated[
        str | None,
        Field(
            description="The other person's, once the link is active; the one asked sees the "
            "requester's name at once. Null otherwise."
        ),
    ]
    relationship: Relationship
    status: Literal["active", "pending"]
    direction: Annotated[
        Literal["acts_for", "acted_for"],
        Field(description="`acts_for`: the caller may act for the other person; `acted_for`: the other way."),
    ]


class RelativePage(Page):
    """Every link, on one page."""

    items: list[Relative]
