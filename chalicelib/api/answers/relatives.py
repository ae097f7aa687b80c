"""Answers of the relatives' routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import Answer, Matricule, Page
from chalicelib.domain.relatives import Relationship


class Relative(Answer):
    """A link as the caller sees it."""

    matricule: Annotated[Matricule, Field(description="The other person.")]
    relationship: Relationship
    status: Literal["active", "pending"]
    direction: Annotated[
        Literal["acts_for", "acted_for_by"],
        Field(
            description="`acts_for`: the caller may act for the other person; `acted_for_by`: the other way."
        ),
    ]
    usable: Annotated[bool, Field(description="Whether the one who asked may act for the relative today.")]


class RelativePage(Page):
    """Every link, on one page."""

    items: list[Relative]
