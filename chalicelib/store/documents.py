"""Metadata of the documents in patients' records; the bytes live in S3 (`store.vault`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.cursor import Page
from chalicelib.domain import documents
from chalicelib.domain.documents import Document
from chalicelib.store.base import READ_BUDGET, TableMeta, filtered_page, named, page_of, resume, within


class ById(GlobalSecondaryIndex["DocumentItem"]):
    """A document by its id alone: practices name it so, without the patient's matricule."""

    class Meta:
        index_name = "by-id"
        projection = AllProjection()

    document_id = UnicodeAttribute(hash_key=True)


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
    author_code = UnicodeAttribute(null=True)
    # Absent on documents written before the record had rules: they are normal and shown.
    confidentiality = UnicodeAttribute(null=True)
    hidden = BooleanAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    by_id = ById()


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
        author_code=document.author_code,
        confidentiality=document.confidentiality,
        hidden=document.hidden,
        sha256=document.sha256,
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
        author_code=item.author_code,
        confidentiality=cast("documents.Confidentiality", item.confidentiality or "normal"),
        hidden=bool(item.hidden),
        sha256=item.sha256,
    )


def get(owner: str, document_id: str) -> Document | None:
    try:
        return _record(DocumentItem.get(owner, document_id))
    except DoesNotExist:
        return None


def by_id(document_id: str) -> Document | None:
    """The document with that id, in whichever patient's record: one query of the id index."""
    found = list(DocumentItem.by_id.query(document_id, limit=1))
    return _record(found[0]) if found else None


def set_hidden(owner: str, document_id: str, hidden: bool) -> Document | None:
    """Hide or show the document again; None when the owner has no such document."""
    item = DocumentItem(owner, document_id)
    try:
        item.update(actions=[DocumentItem.hidden.set(hidden)], condition=DocumentItem.owner.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return _record(item)


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


def search(
    owner: str,
    keep: Callable[[Document], bool],
    type: str | None,
    ids: tuple[str, str] | None,
    limit: int,
    start: dict[str, Any] | None,
) -> Page[Document]:
    """Newest first, the documents `keep` lets through, of one type and with ids within `ids`
    (a span of time) where given: one query within the read budget of `filtered_page`,
    whatever share of the record `keep` lets through. Without a type, `keep` lets most of a
    record through (a practice sees what is neither hidden nor restricted), so a page reads
    twice its length: a record mostly kept from the caller costs more pages, not more reads."""
    private = ("owner",)
    results = DocumentItem.query(
        owner,
        range_key_condition=DocumentItem.document_id.between(*ids) if ids else None,
        filter_condition=(DocumentItem.type == type) if type else None,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=within(
            resume(start, DocumentItem, private=private, owner=owner), "document_id", ids
        ),
    )
    budget = READ_BUDGET if type else 2 * limit
    kept = filtered_page(
        results, DocumentItem, limit, private, keep=lambda item: keep(_record(item)), budget=budget
    )
    return kept.map(_record)
