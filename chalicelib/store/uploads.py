"""Documents a practice announced and is uploading (`POST /records/documents`), until it
completes them: then, in one transaction, the document joins the patient's record, the
upload goes and the patient's `document.received` is written. An upload never completed
expires with its object (TTL here, a lifecycle rule on the vault's `pending/` prefix)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain import documents as rules
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.store import documents, outbox
from chalicelib.store.base import TableMeta, named, transact

# As long as the vault keeps an object under `pending/`.
KEPT = timedelta(days=1)


class UploadItem(Model):
    class Meta(TableMeta):
        table_name = named("uploads")

    document_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    type = UnicodeAttribute()
    title = UnicodeAttribute()
    author = UnicodeAttribute()
    author_code = UnicodeAttribute()
    confidentiality = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    size_bytes = NumberAttribute()
    sha256 = UnicodeAttribute()
    object_key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    expires = TTLAttribute()


def _record(item: UploadItem) -> Document:
    return Document(
        owner=item.owner,
        document_id=item.document_id,
        type=item.type,
        title=item.title,
        author=item.author,
        created_at=item.created_at,
        size_bytes=int(item.size_bytes),
        object_key=item.object_key,
        content_type=item.content_type,
        source_id=None,
        author_code=item.author_code,
        confidentiality=cast("rules.Confidentiality", item.confidentiality),
        status="pending_upload",
        sha256=item.sha256,
    )


def save(document: Document) -> None:
    UploadItem(
        document.document_id,
        owner=document.owner,
        type=document.type,
        title=document.title,
        author=document.author,
        author_code=cast(str, document.author_code),
        confidentiality=document.confidentiality,
        created_at=document.created_at,
        size_bytes=document.size_bytes,
        sha256=cast(str, document.sha256),
        object_key=document.object_key,
        content_type=document.content_type,
        expires=document.created_at + KEPT,
    ).save(condition=UploadItem.document_id.does_not_exist())


def get(document_id: str) -> Document | None:
    try:
        return _record(UploadItem.get(document_id, consistent_read=True))
    except DoesNotExist:
        return None


def complete(document: Document, event: Event) -> bool:
    """Move the upload into the patient's record as `document` (available, at its final
    object key), with its event, all or nothing. False when another completion won."""

    def write(tx: TransactWrite) -> None:
        tx.delete(UploadItem(document.document_id), condition=UploadItem.document_id.exists())
        tx.save(documents.model_of(document), condition=documents.DocumentItem.document_id.does_not_exist())
        tx.save(outbox.model_of(event))

    return transact(write)
