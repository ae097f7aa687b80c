"""The one list of DHN's storage: every table (as its PynamoDB model), the vault bucket and the
queues. The local stack and the tests create them from here, and infra/ declares them from
here, so the three cannot drift apart."""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.core import config
from chalicelib.store.appointments import Appointment, Availability, BookedSlot, Place
from chalicelib.store.certificates import CertificateItem, ShareItem
from chalicelib.store.claims import ClaimItem
from chalicelib.store.documents import DocumentItem
from chalicelib.store.idempotency import IdempotencyRecord
from chalicelib.store.identity import Credential, Device, Doctor, EnrolmentCode, Patient, Pharmacy
from chalicelib.store.invoice_day_totals import InvoiceDayTotals
from chalicelib.store.invoices import Counter, InvoiceItem
from chalicelib.store.journal import EntryItem, NoticeItem
from chalicelib.store.outbox import OutboxEvent, new_event_pattern
from chalicelib.store.prescriptions import PrescriptionItem
from chalicelib.store.record_access import RecordAccessItem
from chalicelib.store.relatives import RelativeLink
from chalicelib.store.uploads import UploadItem
from chalicelib.store.vaccinations import VaccinationItem, WatchItem
from chalicelib.store.webhooks import WebhookDelivery, WebhookEndpoint

MODELS: list[type[Model]] = [
    Doctor,
    Patient,
    Credential,
    EnrolmentCode,
    Device,
    Counter,
    InvoiceItem,
    InvoiceDayTotals,
    ClaimItem,
    DocumentItem,
    OutboxEvent,
    IdempotencyRecord,
    Availability,
    BookedSlot,
    Place,
    Appointment,
    RelativeLink,
    WebhookEndpoint,
    WebhookDelivery,
    EntryItem,
    NoticeItem,
    Pharmacy,
    PrescriptionItem,
    CertificateItem,
    ShareItem,
    VaccinationItem,
    WatchItem,
    RecordAccessItem,
    UploadItem,
]

# Logical queue names; `config.queue_name` gives the physical one.
QUEUES: list[str] = ["webhooks"]

# The records of a table's stream its handler is invoked for, as a Lambda filter pattern.
STREAM_FILTERS: dict[type[Model], dict[str, Any]] = {OutboxEvent: new_event_pattern()}


def ttl_attribute(model: type[Model]) -> str | None:
    """The attribute DynamoDB expires items by, if the model has one."""
    from pynamodb.attributes import TTLAttribute

    for name, attribute in model.get_attributes().items():
        if isinstance(attribute, TTLAttribute):
            return attribute.attr_name or name
    return None


def stream_view_type(model: type[Model]) -> str | None:
    """What the table's stream carries of each change (`NEW_IMAGE`), if it has a stream."""
    view: str | None = getattr(model.Meta, "stream_view_type", None)
    return view


def bucket_names() -> list[str]:
    return [config.vault_bucket()]
