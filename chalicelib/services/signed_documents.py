"""The one path of every signed document: validate → number or identify → sign → render the
PDF with its QR code → vault → record → event.

A kind of document (the invoice now; prescriptions, certificates and vaccination booklets
next) plugs in what is its own: its rules (it validates the request and makes the draft),
how it is numbered or identified, the claims its token carries, its layout and the
transaction that records it with its events. The order of the steps, the signing and the
verification of tokens, the copy in the patient's vault and its `document.received` event
are the same for every kind and live only here.

The copy is rendered and staged for each number tried (the number is printed on it), then
copied into place once the transaction that records it has committed: a failed issuance
leaves only a staged object, which expires, and a crash after the commit leaves a record
whose object `repair` puts in place when the request is retried with its key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from chalicelib.core import ids, signing_keys
from chalicelib.core.errors import Conflict
from chalicelib.domain import qr_token
from chalicelib.domain.documents import Confidentiality, Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

D = TypeVar("D")
T = TypeVar("T")


class Claims(Protocol):
    """What one kind of token asserts, as its domain module validates and encodes it."""

    def sign(self, private_key: Ed25519PrivateKey) -> str:
        """The token of these claims, signed with `private_key`."""
        ...


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

    def claims(self, document: D) -> Claims:
        """What the document's signed token asserts."""

    def signed(self, document: D, token: str) -> D:
        """The document carrying its signed token."""

    def layout(self, document: D) -> bytes:
        """The document as a PDF, with its QR code."""

    def vault_copy(self, document: D) -> VaultCopy | None:
        """Where its copy goes in a patient's vault; None where it goes nowhere."""

    def events(self, document: D, at: datetime) -> list[Event]:
        """The kind's own events about the issued document."""

    def record(self, document: D, copy: Document | None, events: list[Event], once: Once | None) -> bool:
        """Write the document, the record of its vault copy, the events and the record of
        the request's idempotency key (`once`, through `store.idempotency.transact`) in one
        transaction. False when its number was taken meanwhile."""


def issue(kind: Kind[D], draft: D, now: datetime, once: Once | None) -> D:
    """Issue `draft`, which the kind's rules have validated: the document as recorded.
    `once` is the creating request's idempotency key, recorded with the document."""
    for document in kind.numbered(draft):
        signed = kind.signed(document, sign(kind.claims(document)))
        where = kind.vault_copy(signed)
        copy = _stage_copy(kind, signed, where, now) if where else None
        events = kind.events(signed, now)
        if copy is not None:
            events.append(_received(kind, copy, now))
        if kind.record(signed, copy, events, once):
            if copy is not None:
                from chalicelib.store import vault

                vault.publish(copy.document_id)
            return signed
    raise Conflict(f"too many {kind.type}s are being issued at once for this practice; retry")


def repair(kind: Kind[D], document: D) -> None:
    """Put the vault copy of a recorded document in place where a crash after its commit
    left it out (the retry of its request finds it so)."""
    from chalicelib.store import vault

    where = kind.vault_copy(document)
    if where is not None and not vault.exists(vault.object_key(where.document_id)):
        vault.put_pdf(vault.object_key(where.document_id), kind.layout(document))


def sign(claims: Claims) -> str:
    """The signed token of a document (as its QR code carries it) or of a receipt."""
    return claims.sign(signing_keys.signing_key())


def verify(token: str) -> qr_token.QrClaims:
    """The claims of a token we signed, with any key still valid for verification; a forged
    or altered token raises `qr_token.InvalidQrToken`."""
    return opened(token, qr_token.decode)


def opened(token: str, decode: Callable[[str, Mapping[str, Ed25519PublicKey]], T]) -> T:
    """The claims of a token of the kind `decode` reads, with any key still valid for
    verification; a forged or altered token raises `signed_token.InvalidToken`."""
    return decode(token, signing_keys.verification_keys())


def _stage_copy(kind: Kind[D], document: D, where: VaultCopy, now: datetime) -> Document:
    """Stage the copy, and describe it as it will be once in place."""
    from chalicelib.store import vault

    body = kind.layout(document)
    vault.stage_pdf(where.document_id, body)
    return Document(
        owner=where.owner,
        document_id=where.document_id,
        type=kind.type,
        title=where.title,
        author=where.author,
        created_at=now,
        size_bytes=len(body),
        object_key=vault.object_key(where.document_id),
        content_type="application/pdf",
        source_id=where.source_id,
        author_code=where.author_code,
        confidentiality=where.confidentiality,
    )


def _received(kind: Kind[D], copy: Document, now: datetime) -> Event:
    """`document.received`: the patient has a new document in their vault."""
    data = {"document_id": copy.document_id, "type": kind.type, f"{kind.type}_id": copy.source_id}
    return Event(ids.new_id("evt", now), "document.received", now, data, patient=copy.owner)
