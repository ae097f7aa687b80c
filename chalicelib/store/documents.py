"""Metadata of the documents in patients' vaults; the bytes live in S3 (`store.vault`)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.store.base import Page, TableMeta, named, page_of, resume


class Document(Model):
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


def get(owner: str, document_id: str) -> Document | None:
    try:
        return Document.get(owner, document_id)
    except DoesNotExist:
        return None


def list_for(owner: str, type: str | None, limit: int, start: dict[str, Any] | None) -> Page[Document]:
    """Newest first; a type filter keeps pages full because PynamoDB reads on until `limit`.
    The owner's matricule is kept out of the cursor, which travels in URLs."""
    private = ("owner",)
    return page_of(
        Document.query(
            owner,
            filter_condition=(Document.type == type) if type else None,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=resume(start, Document, private=private, owner=owner),
        ),
        limit,
        private=private,
    )
