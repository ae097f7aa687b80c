"""DHN's Chalice application: blueprints, middleware and event handlers. Wiring only."""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Chalice, Request, Response

from chalicelib.api import health, invoices, onboarding, patient, practice
from chalicelib.api.http import as_problem, request_id, serving
from chalicelib.observability import logger

# Powertools owns the logs (JSON, correlation ids); Chalice must not add its own handler.
app = Chalice(app_name="dhn", configure_logs=False)
app.api.binary_types.append("application/pdf")

for blueprint in (health.bp, onboarding.bp, practice.bp, invoices.bp, patient.bp):
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
