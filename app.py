"""DHN's Chalice application: blueprints, middleware and event handlers. Wiring only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, DynamoDBEvent, Rate, Request, Response, SQSEvent

from chalicelib.api import (
    access_log,
    appointments,
    certificates,
    claims,
    documents,
    employer,
    health,
    invoices,
    onboarding,
    pharmacy,
    practice,
    prescriptions,
    reconciliation,
    records,
    reference,
    relatives,
    sessions,
    vaccinations,
    webhooks,
)
from chalicelib.api.edge.problems import as_problem
from chalicelib.api.edge.routing import serving
from chalicelib.api.edge.tracing import request_id
from chalicelib.core import clock, config, time_budget
from chalicelib.core.observability import flush, logger

# Powertools owns the logs (JSON, correlation ids); Chalice must not add its own handler.
app = Chalice(app_name="dhn", configure_logs=False)
app.api.binary_types.append("application/pdf")

for blueprint in (
    health.bp,
    onboarding.bp,
    practice.bp,
    sessions.bp,
    invoices.bp,
    documents.bp,
    appointments.bp,
    relatives.bp,
    webhooks.bp,
    claims.bp,
    reconciliation.bp,
    reference.bp,
    access_log.bp,
    prescriptions.bp,
    pharmacy.bp,
    certificates.bp,
    employer.bp,
    vaccinations.bp,
    records.bp,
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


# The jobs below stop before their invocation's time runs out; each works from an index
# of what is due, so the next run carries on where this one stopped.


@app.schedule(Rate(5, unit=Rate.MINUTES))
def mark_overdue_claims(event: CloudWatchEvent) -> None:
    """Claims not decided within five days of submission are marked overdue."""
    from chalicelib.services import claims as service

    service.sweep_overdue(clock.current(), time_budget.of_invocation(event.context))


@app.schedule(Rate(5, unit=Rate.MINUTES))
def appointment_reminders(event: CloudWatchEvent) -> None:
    """Remind patients of tomorrow's appointments; a run every 5 minutes keeps "about 24 hours"."""
    from chalicelib.services import appointments as service

    sent = service.send_reminders(clock.current(), time_budget.of_invocation(event.context))
    if sent:
        logger().info("appointment reminders", extra={"sent": sent})


@app.schedule(Rate(1, unit=Rate.HOURS))
def expire_prescriptions(event: CloudWatchEvent) -> None:
    """Ready prescriptions past their last day are marked expired; hourly, so within an hour
    of midnight in Luxembourg."""
    from chalicelib.services import prescriptions as service

    service.expire_due(clock.current(), time_budget.of_invocation(event.context))


@app.schedule(Rate(1, unit=Rate.HOURS))
def vaccination_reminders(event: CloudWatchEvent) -> None:
    """Tell patients, and a child's guardians, of the doses that fell due; hourly, so a dose
    due today is told in the morning whatever time the run before it stopped."""
    from chalicelib.services import vaccinations as service

    sent = service.send_reminders(clock.current(), time_budget.of_invocation(event.context))
    if sent:
        logger().info("vaccination reminders", extra={"sent": sent})


# Webhooks. The local worker runs these in this order (the stream and the queue four times a
# second), so an event goes from the outbox to the receiver within one round.


@app.on_dynamodb_record(stream_arn=config.stream_arn("outbox"), batch_size=10, starting_position="LATEST")
def relay_events(event: DynamoDBEvent) -> dict[str, object]:
    """Each event written to the outbox goes to its endpoints' queue within seconds."""
    from chalicelib.services import webhook_delivery

    return webhook_delivery.relay(event.to_dict(), event.context, clock.current())


@app.schedule(Rate(5, unit=Rate.MINUTES))
def dispatch_events(_event: CloudWatchEvent) -> None:
    """The safety net behind the stream: events still pending a minute after they were written."""
    from chalicelib.services import webhook_delivery

    webhook_delivery.dispatch(clock.current(), min_age=webhook_delivery.STREAM_LAG)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def requeue_deliveries(_event: CloudWatchEvent) -> None:
    from chalicelib.services import webhook_delivery

    webhook_delivery.requeue(clock.current())


@app.on_sqs_message(queue=config.queue_name("webhooks"), batch_size=10)
def send_webhooks(event: SQSEvent) -> dict[str, object]:
    from chalicelib.services import webhook_delivery

    return webhook_delivery.handle_batch(event.to_dict(), event.context, clock.current())
