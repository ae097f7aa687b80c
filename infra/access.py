"""Which AWS resources each Lambda function may touch: the one place least privilege is decided.

Chalice's own policy generation is off; infra/stack.py gives every function a role of its own
and grants it exactly what its entry here names. The API handler serves every route, so it
reaches every table, the vault, every secret (QR signing key, sealing key) and
every queue it may enqueue to; the webhook sender also needs the sealing key, to open the
endpoints' signing secrets. An event handler (`@app.schedule`, `@app.on_sqs_message`,
`@app.on_dynamodb_record`) that has no entry gets read and write on the tables and sending to
the queues by default, never the vault or a secret; an entry in HANDLERS narrows or widens that
for one handler, by its function name. Reading the queue or the stream that triggers it is
always granted.

A table in APPEND_ONLY is read and added to by whoever may use it, and never changed: its items
cannot be updated or deleted by any function, whatever else it is granted.
"""

from __future__ import annotations

from dataclasses import dataclass

API_HANDLER = "APIHandler"


@dataclass(frozen=True)
class Access:
    # Short table names (`invoices`) read and written; None means every table of the schema.
    tables: tuple[str, ...] | None = None
    # Queues it sends to, by short name; None means every queue. Consuming the queue of its own
    # SQS trigger is always granted, with nothing to write here.
    sends_to: tuple[str, ...] | None = None
    vault: bool = False
    # Only reads what waits under staging/ and pending/ and puts it in place under documents/:
    # no export, no deletion, nothing else of the vault.
    vault_copies: bool = False
    qr_signing_key: bool = False
    # Seals webhook signing secrets and the answers kept for idempotent replay.
    sealing_key: bool = False


# The access journal: what it records must stay as it was written.
APPEND_ONLY: tuple[str, ...] = ("journal",)

API = Access(vault=True, qr_signing_key=True, sealing_key=True)
HANDLER_DEFAULT = Access()

# Event handlers whose needs differ from HANDLER_DEFAULT, by their Python function name.
HANDLERS: dict[str, Access] = {
    "send_webhooks": Access(sealing_key=True),
    # Before telling a patient of a new document, they put its vault copy in place where a
    # crash after its commit left it out (services/webhook_delivery.py).
    "relay_events": Access(vault_copies=True),
    "dispatch_events": Access(vault_copies=True),
}


def for_function(name: str) -> Access:
    """`name` is the handler's function name, or API_HANDLER for the REST API's function."""
    if name == API_HANDLER:
        return API
    return HANDLERS.get(name, HANDLER_DEFAULT)
