"""DHN's Chalice application: blueprints, middleware and event handlers. Wiring only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Rate, Request, Response

from chalicelib import clock
from chalicelib.api import appointments, health, invoices, onboarding, patient, practice, relatives
from chalicelib.api.http import as_problem, request_id
from chalicelib.observability import logger

# Powertools owns the logs (JSON, correlation ids); Chalice must not add its own handler.
app = Chalice(app_name="dhn", configure_logs=False)
app.api.binary_types.append("application/pdf")

for blueprint in (
    health.bp,
    onboarding.bp,
    practice.bp,
    invoices.bp,
    patient.bp,
    appointments.bp,
    relatives.bp,
):
    app.register_blueprint(blueprint, url_prefix="/v1")


@app.middleware("http")
def correlate(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every answer carries X-Request-Id, and every log line of the request its value."""
    rid = request_id(event)
    log = logger()
    log.set_correlation_id(rid)
    response = as_problem(get_response(event))
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


@app.schedule(Rate(5, unit=Rate.MINUTES))
def appointment_reminders(_event: Any) -> None:
    """Remind patients of tomorrow's appointments; a run every 5 minutes keeps "about 24 hours"."""
    from chalicelib import appointments as service

    sent = service.send_reminders(clock.current())
    if sent:
        logger().info("appointment reminders", extra={"sent": sent})
