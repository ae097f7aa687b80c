"""The signed-document path (chalicelib.services.signed_documents) with a kind of its own: the
order of the steps, the retry on a number taken meanwhile, the vault copy (staged, then put in
place once recorded) and its event."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import pytest

from chalicelib.core.errors import Conflict
from chalicelib.domain import qr_token
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.services import signed_documents
from chalicelib.services.signed_documents import VaultCopy

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
NOTE_ID = "inv_01KAAAAAAAAAAAAAAAAAAAAAAA"
COPY_ID = "doc_01KAAAAAAAAAAAAAAAAAAAAAAA"
OWNER = "1893120105732"


@dataclass(frozen=True)
class Note:
    note_id: str
    number: int
    owner: str | None
    qr: str = ""


@dataclass
class NoteKind:
    """A kind whose first `taken` numbers went to someone else; it keeps what it was asked."""

    taken: int
    steps: list[str] = field(default_factory=list)
    recorded: list[tuple[Note, Document | None, list[Event], Once | None]] = field(default_factory=list)
    type = "note"

    def numbered(self, draft: Note) -> Iterator[Note]:
        for offset in range(3):
            yield replace(draft, number=draft.number + offset)

    def claims(self, document: Note) -> qr_token.QrClaims:
        self.steps.append(f"claims {document.number}")
        return qr_token.QrClaims(document.note_id, "CNS", 100 + document.number, date(2026, 11, 23))

    def signed(self, document: Note, token: str) -> Note:
        return replace(document, qr=token)

    def layout(self, document: Note) -> bytes:
        self.steps.append(f"layout {document.number}")
        return f"%PDF note {document.number} {document.qr}".encode()

    def vault_copy(self, document: Note) -> VaultCopy | None:
        if document.owner is None:
            return None
        return VaultCopy(document.owner, COPY_ID, document.note_id, "Note", "Dr Weber")

    def events(self, document: Note, at: datetime) -> list[Event]:
        return [Event("evt_01KAAAAAAAAAAAAAAAAAAAAAAA", "note.issued", at, {"number": document.number})]

    def record(self, document: Note, copy: Document | None, events: list[Event], once: Once | None) -> bool:
        self.steps.append(f"record {document.number}")
        self.recorded.append((document, copy, events, once))
        return document.number > self.taken


def test_the_first_number_not_taken_is_recorded_signed() -> None:
    kind = NoteKind(taken=2)
    once = Once("made#key", "fingerprint", NOW)
    issued = signed_documents.issue(kind, Note(NOTE_ID, 1, owner=None), NOW, once)
    assert issued.number == 3
    claims = signed_documents.verify(issued.qr)
    assert (claims.invoice_id, claims.total_cents) == (NOTE_ID, 103)
    # Each number is signed anew before it is recorded; nothing goes to a vault.
    assert kind.steps == ["claims 1", "record 1", "claims 2", "record 2", "claims 3", "record 3"]
    assert [copy for _, copy, _, _ in kind.recorded] == [None, None, None]
    # Each try hands the request's key to the transaction that records it.
    assert [key for _, _, _, key in kind.recorded] == [once, once, once]
    assert [event.type for event in kind.recorded[-1][2]] == ["note.issued"]


def test_the_vault_copy_is_staged_before_its_record_and_put_in_place_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.store import vault

    kind = NoteKind(taken=1)
    staged: list[tuple[str, bytes]] = []
    published: list[str] = []

    def stage_pdf(document_id: str, body: bytes) -> None:
        kind.steps.append("stage")
        staged.append((document_id, body))

    def publish(document_id: str) -> None:
        kind.steps.append("publish")
        published.append(document_id)

    monkeypatch.setattr(vault, "stage_pdf", stage_pdf)
    monkeypatch.setattr(vault, "publish", publish)
    issued = signed_documents.issue(kind, Note(NOTE_ID, 1, owner=OWNER), NOW, None)
    # The copy of the number taken meanwhile is staged too, then overwritten: only the
    # copy of the number recorded is put in place, once, after its record.
    assert kind.steps == [
        "claims 1",
        "layout 1",
        "stage",
        "record 1",
        "claims 2",
        "layout 2",
        "stage",
        "record 2",
        "publish",
    ]
    assert [document_id for document_id, _ in staged] == [COPY_ID, COPY_ID]
    assert published == [COPY_ID]
    body = staged[-1][1]
    key = vault.object_key(COPY_ID)
    assert body == f"%PDF note 2 {issued.qr}".encode()
    (_, copy, events, _) = kind.recorded[-1]
    assert copy == Document(
        owner=OWNER,
        document_id=COPY_ID,
        type="note",
        title="Note",
        author="Dr Weber",
        created_at=NOW,
        size_bytes=len(body),
        object_key=key,
        content_type="application/pdf",
        source_id=NOTE_ID,
    )
    assert OWNER not in key
    [_, received] = events
    assert (received.type, received.patient, received.occurred_at) == ("document.received", OWNER, NOW)
    assert received.data == {
        "document_id": COPY_ID,
        "type": "note",
        "note_id": NOTE_ID,
    }


def test_every_number_taken_is_a_conflict() -> None:
    kind = NoteKind(taken=10)
    with pytest.raises(Conflict, match="too many notes are being issued at once"):
        signed_documents.issue(kind, Note(NOTE_ID, 1, owner=None), NOW, None)
    assert len(kind.recorded) == 3


def test_a_failed_issuance_puts_no_copy_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.store import vault

    kind = NoteKind(taken=10)
    published: list[str] = []
    staged: list[str] = []
    monkeypatch.setattr(vault, "stage_pdf", lambda document_id, _: staged.append(document_id))
    monkeypatch.setattr(vault, "publish", published.append)
    with pytest.raises(Conflict):
        signed_documents.issue(kind, Note(NOTE_ID, 1, owner=OWNER), NOW, None)
    assert staged == [COPY_ID] * 3
    assert published == []


@pytest.mark.parametrize(
    ("owner", "present", "put"), [(OWNER, False, True), (OWNER, True, False), (None, False, False)]
)
def test_repair_puts_a_missing_copy_in_place(
    monkeypatch: pytest.MonkeyPatch, owner: str | None, present: bool, put: bool
) -> None:
    from chalicelib.store import vault

    kind = NoteKind(taken=0)
    stored: list[tuple[str, bytes]] = []
    monkeypatch.setattr(vault, "exists", lambda _: present)
    monkeypatch.setattr(vault, "put_pdf", lambda key, body: stored.append((key, body)))
    note = Note(NOTE_ID, 7, owner=owner, qr="DHN1:X")
    signed_documents.repair(kind, note)
    assert stored == ([(vault.object_key(COPY_ID), b"%PDF note 7 DHN1:X")] if put else [])


def test_an_altered_token_does_not_verify() -> None:
    token = signed_documents.sign(qr_token.QrClaims(NOTE_ID, "CNS", 100, date(2026, 11, 23)))
    assert signed_documents.verify(token).insurer == "CNS"
    with pytest.raises(qr_token.InvalidQrToken):
        signed_documents.verify(token[:-4] + "AAAA")
