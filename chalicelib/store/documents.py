"""Metadata of the documents in patients' vaults; the bytes live in S3 (`store.vault`)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.core.cursor import Page
from chalicelib.domain.documents import Document
from chalicelib.store.base import TableMeta, filtered_page, named, page_of, resume


class DocumentItem(Model):
    class Meta(TableMeta):
        table_name = named("documents")

    # The owner's matricule keys the table (encrypted at rest); it never appears in S3 keys.
    owner = UnicodeAttribute(hash_key=True)
    document_id = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    title = UnicodeAttribute()
    author = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    size_bytes = NumberAttribute()
    object_key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    source_id = UnicodeAttribute(null=True)


def model_of(document: Document) -> DocumentItem:
    """The item a transaction writes for `document`."""
    return DocumentItem(
        document.owner,
        document.document_id,
        type=document.type,
        title=document.title,
        author=document.author,
        created_at=document.created_at,
        size_bytes=document.size_bytes,
        object_key=document.object_key,
        content_type=document.content_type,
        source_id=document.source_id,
    )


def _record(item: DocumentItem) -> Document:
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
        source_id=item.source_id,
    )


def get(owner: str, document_id: str) -> Document | None:
    try:
        return _record(DocumentItem.get(owner, document_id))
    except DoesNotExist:
        return None


def list_for(owner: str, type: str | None, limit: int, start: dict[str, Any] | None) -> Page[Document]:
    """Newest first. A type filter reads within the budget of `filtered_page`: its pages may
    hold fewer than `limit` documents, and following the cursor reaches every one. The
    owner's matricule is kept out of the cursor, which travels in URLs."""
    private = ("owner",)
    results = DocumentItem.query(
        owner,
        filter_condition=(DocumentItem.type == type) if type else None,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=resume(start, DocumentItem, private=private, owner=owner),
    )
    if type:
        return filtered_page(results, DocumentItem, limit, private).map(_record)
    return page_of(results, limit, private=private).map(_record)
