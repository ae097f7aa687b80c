"""The patient's side of the vault: list documents and fetch one through a short-lived URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import NotFound
from chalicelib.domain.documents import Document
from chalicelib.domain.journal import ObjectRef
from chalicelib.services import journal, relatives
from chalicelib.services.identity import Principal

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page


@dataclass(frozen=True)
class Download:
    document: Document
    url: str
    expires_in_seconds: int


def owner_for(caller: Principal, on_behalf_of: str | None, clock: Clock) -> str:
    """Whose vault the caller reads (its owner's matricule): their own, or that of the
    relative `on_behalf_of` (a `patient_id`) they may act for."""
    return relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule


def list_documents(
    caller: Principal,
    on_behalf_of: str | None,
    type: str | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Document]:
    from chalicelib.store import documents as store

    owner = owner_for(caller, on_behalf_of, clock)
    journal.record(caller, "relative.read", owner, ObjectRef("document"), clock)
    return store.list_for(owner, type, limit, cursor)


def download(caller: Principal, on_behalf_of: str | None, document_id: str, clock: Clock) -> Download:
    from chalicelib.store import documents as store
    from chalicelib.store import vault

    owner = owner_for(caller, on_behalf_of, clock)
    found = store.get(owner, document_id) if ids.has_prefix(document_id, "doc") else None
    if found is None:
        raise NotFound("no such document")
    journal.record(caller, "relative.read", owner, ObjectRef("document", found.document_id), clock)
    url = vault.download_url(found.object_key, f"{found.document_id}.pdf")
    return Download(found, url, vault.URL_LIFETIME_SECONDS)


def set_hidden(
    caller: Principal, on_behalf_of: str | None, document_id: str, hidden: bool, clock: Clock
) -> Document:
    """Hide a document of the caller's record, or of the minor `on_behalf_of` whose guardian
    they are (journaled for the minor), from every professional but its author, or show it
    again."""
    from chalicelib.store import documents as store

    owner = relatives.managing(caller, clock, on_behalf_of)
    # Journaled only for a document of the owner's record: an id from elsewhere changes nothing.
    if not ids.has_prefix(document_id, "doc") or store.get(owner, document_id) is None:
        raise NotFound("no such document")
    journal.record(caller, "record.update", owner, ObjectRef("document", document_id), clock)
    changed = store.set_hidden(owner, document_id, hidden)
    if changed is None:
        raise NotFound("no such document")
    return changed
