"""DHN's Chalice application: blueprints, middleware and event handlers. Wiring only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Rate, Request, Response, SQSEvent

from chalicelib.api import (
    appointments,
    claims,
    documents,
    health,
    invoices,
    onboarding,
    practice,
    reconciliation,
    relatives,
    webhooks,
)
from chalicelib.api.edge.problems import as_problem
from chalicelib.api.edge.routing import serving
from chalicelib.api.edge.tracing import request_id
from chalicelib.core import clock, config
from chalicelib.core.observability import flush, logger

# Powertools owns the logs (JSON, correlation ids); Chalice must not add its own handler.
app = Chalice(app_name="dhn", configure_logs=False)
app.api.binary_types.append("application/pdf")

for blueprint in (
    health.bp,
    onboarding.bp,
    practice.bp,
    invoices.bp,
    documents.bp,
    appointments.bp,
    relatives.bp,
    webhooks.bp,
    claims.bp,
    reconciliation.bp,
):
    app.register_blueprint(blueprint, url_prefix="/v1")


@app.middleware("http")
def correlate(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every answer carries X-Request-Id, and every log line of the request its value."""
    rid = request_id(event)
    log = logger()
    log.set_correlation_id(rid)
    response = as_problem(serving(event, get_response))
    response.headers["X-Request-Id"] = rid
    log.info(
        "request",
        extra={
            "method": event.method,
            "route": event.context.get("resourcePath"),
            "status": response.status_code,
        },
    )
    return response


@app.middleware("all")
def count(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every invocation, whatever triggered it, writes the metrics it counted."""
    try:
        return get_response(event)
    finally:
        flush()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def mark_overdue_claims(_event: CloudWatchEvent) -> None:
    """Claims not decided within five days of submission are marked overdue."""
    from chalicelib.services import claims as service

    service.sweep_overdue(clock.current())


@app.schedule(Rate(5, unit=Rate.MINUTES))
def appointment_reminders(_event: CloudWatchEvent) -> None:
    """Remind patients of tomorrow's appointments; a run every 5 minutes keeps "about 24 hours"."""
    from chalicelib.services import appointments as service

    sent = service.send_reminders(clock.current())
    if sent:
        logger().info("appointment reminders", extra={"sent": sent})


# Webhooks. The local worker runs these in this order every half second, so an event goes
# from the outbox to the receiver within one round.


@app.schedule(Rate(1, unit=Rate.MINUTES))
def dispatch_events(_event: CloudWatchEvent) -> None:
    from chalicelib.services import webhook_delivery

    webhook_delivery.dispatch(clock.current())


@app.schedule(Rate(1, unit=Rate.MINUTES))
def requeue_deliveries(_event: CloudWatchEvent) -> None:
    from chalicelib.services import webhook_delivery

    webhook_delivery.requeue(clock.current())


@app.on_sqs_message(queue=config.queue_name("webhooks"), batch_size=10)
def send_webhooks(event: SQSEvent) -> dict[str, object]:
    from chalicelib.services import webhook_delivery

    return webhook_delivery.handle_batch(event.to_dict(), event.context, clock.current())
