"""The one path of every signed document: validate → number or identify → sign → render the
PDF with its QR code → vault → record → event.

A kind of document (the invoice now; prescriptions, certificates and vaccination booklets
next) plugs in what is its own: its rules (it validates the request and makes the draft),
how it is numbered or identified, the claims its token carries, its layout and the
transaction that records it with its events. The order of the steps, the signing and the
verification of tokens, the copy in the patient's vault and its `document.received` event
are the same for every kind and live only here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from chalicelib.core import ids, signing_keys
from chalicelib.core.errors import Conflict
from chalicelib.domain import qr_token
from chalicelib.domain.documents import Confidentiality, Document
from chalicelib.domain.events import Event

D = TypeVar("D")


@dataclass(frozen=True)
class VaultCopy:
    """Where a document's copy goes: whose vault, under which id, and how it is listed."""

    owner: str
    document_id: str
    # The id of the document the copy is of (`inv_…`), told in `document.received`.
    source_id: str
    title: str
    author: str
    # The doctor code of the practice that wrote it, which may always read it in the record.
    author_code: str | None = None
    confidentiality: Confidentiality = "normal"


class Kind(Protocol[D]):
    """What one kind of signed document brings to the path; `D` is its record."""

    # Its type in the patient's vault (`invoice`), also the stem of its id in events.
    type: str

    def numbered(self, draft: D) -> Iterator[D]:
        """The draft under each number (or id) to try in turn; the path records the first
        one that `record` accepts."""

    def claims(self, document: D) -> qr_token.QrClaims:
        """What the document's signed token asserts."""

    def signed(self, document: D, token: str) -> D:
        """The document carrying its signed token."""

    def layout(self, document: D) -> bytes:
        """The document as a PDF, with its QR code."""

    def vault_copy(self, document: D) -> VaultCopy | None:
        """Where its copy goes in a patient's vault; None where it goes nowhere."""

    def events(self, document: D, at: datetime) -> list[Event]:
        """The kind's own events about the issued document."""

    def record(self, document: D, copy: Document | None, events: list[Event]) -> bool:
        """Write the document, the record of its vault copy and the events in one
        transaction. False when its number was taken meanwhile."""


def issue(kind: Kind[D], draft: D, now: datetime) -> D:
    """Issue `draft`, which the kind's rules have validated: the document as recorded."""
    for document in kind.numbered(draft):
        signed = kind.signed(document, sign(kind.claims(document)))
        where = kind.vault_copy(signed)
        # The copy is written before the transaction that records it: a record never points
        # at a missing object, and a retry overwrites the same key.
        copy = _store_copy(kind, signed, where, now) if where else None
        events = kind.events(signed, now)
        if copy is not None:
            events.append(_received(kind, copy, now))
        if kind.record(signed, copy, events):
            return signed
    raise Conflict(f"too many {kind.type}s are being issued at once for this practice; retry")


def sign(claims: qr_token.QrClaims) -> str:
    """The signed token of a document, as its QR code carries it."""
    return qr_token.encode(claims, signing_keys.signing_key())


def verify(token: str) -> qr_token.QrClaims:
    """The claims of a token we signed, with any key still valid for verification; a forged
    or altered token raises `qr_token.InvalidQrToken`."""
    return qr_token.decode(token, signing_keys.verification_keys())


def _store_copy(kind: Kind[D], document: D, where: VaultCopy, now: datetime) -> Document:
    from chalicelib.store import vault

    body = kind.layout(document)
    key = vault.object_key(where.document_id)
    vault.put_pdf(key, body)
    return Document(
        owner=where.owner,
        document_id=where.document_id,
        type=kind.type,
        title=where.title,
        author=where.author,
        created_at=now,
        size_bytes=len(body),
        object_key=key,
        content_type="application/pdf",
        source_id=where.source_id,
        author_code=where.author_code,
        confidentiality=where.confidentiality,
    )


def _received(kind: Kind[D], copy: Document, now: datetime) -> Event:
    """`document.received`: the patient has a new document in their vault."""
    data = {"document_id": copy.document_id, "type": kind.type, f"{kind.type}_id": copy.source_id}
    return Event(ids.new_id("evt", now), "document.received", now, data, patient=copy.owner)
