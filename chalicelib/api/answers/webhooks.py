"""Answers of the webhook routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import Answer, DeliveryId, EndpointId, EventId, Instant, Page
from chalicelib.domain.webhook_terms import EventType


class Webhook(Answer):
    """An endpoint the service POSTs events to, signed per the Standard Webhooks specification."""

    id: EndpointId
    url: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    events: Annotated[
        list[EventType] | None, Field(description="The event types it receives; null for every one.")
    ]
    status: Literal["active", "disabled"]
    created_at: Instant
    disabled_at: Instant | None
    disabled_reason: str | None


class NewWebhook(Webhook):
    """The endpoint and its signing secret."""

    secret: Annotated[
        str, Field(pattern="^whsec_", description="The signing secret: shown this once, never again.")
    ]


class WebhookPage(Page):
    items: list[Webhook]


class Attempt(Answer):
    at: Instant
    status_code: Annotated[
        int | None, Field(description="The endpoint's HTTP status; null where none came back.")
    ]
    error: str | None
    duration_ms: Annotated[int, Field(ge=0)]


class Delivery(Answer):
    """One event owed to one endpoint, and the attempts to deliver it."""

    id: DeliveryId
    event_id: EventId
    event_type: EventType
    status: Annotated[
        Literal["pending", "delivered", "dead", "cancelled"],
        Field(description="`dead` after the last retry (about three days): still replayable."),
    ]
    created_at: Instant
    attempt_count: Annotated[int, Field(ge=0)]
    last_attempt_at: Instant | None
    last_status_code: int | None
    next_attempt_at: Instant | None
    finished_at: Instant | None
    reason: str | None
    attempts: Annotated[list[Attempt], Field(description="Oldest first.")]


class DeliveryPage(Page):
    items: list[Delivery]


class Event(Answer):
    """The body of every delivery, as the Standard Webhooks specification has it."""

    type: EventType
    timestamp: Instant
    data: Annotated[
        dict[str, object],
        Field(
            description="What happened: ids (patients by `patient_id`), amounts and statuses; never a "
            "matricule, never a diagnosis."
        ),
    ]
