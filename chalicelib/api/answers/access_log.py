"""Answers of the access journal's route."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from chalicelib.api.answers.common import Answer, Page, identifier
from chalicelib.domain.journal import Action, ActorKind


class Actor(Answer):
    kind: ActorKind
    id: Annotated[
        str | None,
        Field(
            description="The doctor code, pharmacy code, insurer code, operator's name or "
            "relative's patient_id (null where it has none yet)."
        ),
    ]
    name: str


class AccessedObject(Answer):
    type: str
    id: str | None


class AccessEntry(Answer):
    id: Annotated[str, identifier("acc", "01JD5Z8K3M7Q9R2T4V6W8X0Y1Z")]
    at: AwareDatetime
    actor: Actor
    action: Action
    object: AccessedObject
    emergency: bool


class AccessLogPage(Page):
    """Newest first."""

    items: list[AccessEntry]
