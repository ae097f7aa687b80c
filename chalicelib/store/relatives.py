"""Links between patients: who may act for whom. Keyed by the requester, so "may I act for
this person" is one GetItem; an index by the relative lists the links made towards them.

The model stays in this module: it takes and returns `domain.relatives.RelativeLink` records."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import Conflict
from chalicelib.domain import relatives
from chalicelib.store.base import TableMeta, connection, named

# A person has a handful of relatives; this bounds one listing without pages.
MAX_LISTED = 100


class TowardsRelative(GlobalSecondaryIndex["RelativeLink"]):
    class Meta:
        index_name = "by-relative"
        projection = AllProjection()

    relative = UnicodeAttribute(hash_key=True)
    requester = UnicodeAttribute(range_key=True)


class RelativeLink(Model):
    class Meta(TableMeta):
        table_name = named("relatives")

    requester = UnicodeAttribute(hash_key=True)
    relative = UnicodeAttribute(range_key=True)
    relationship = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    accepted_at = UTCDateTimeAttribute(null=True)
    towards_relative = TowardsRelative()


def _record(item: RelativeLink) -> relatives.RelativeLink:
    return relatives.RelativeLink(
        item.requester,
        item.relative,
        cast("relatives.Relationship", item.relationship),
        cast("relatives.Status", item.status),
        item.created_at,
        item.accepted_at,
    )


def get(requester: str, relative: str) -> relatives.RelativeLink | None:
    try:
        return _record(RelativeLink.get(requester, relative, consistent_read=True))
    except DoesNotExist:
        return None


def create(link: relatives.RelativeLink) -> None:
    item = RelativeLink(
        link.requester,
        link.relative,
        relationship=link.relationship,
        status=link.status,
        created_at=link.created_at,
        accepted_at=link.accepted_at,
    )
    try:
        item.save(condition=RelativeLink.requester.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("you are already linked to this relative") from exc
        raise


def accept(link: relatives.RelativeLink, at: datetime) -> relatives.RelativeLink | None:
    """Activate the link if it still exists and is not accepted yet: the link as it is now,
    or None."""
    item = RelativeLink(link.requester, link.relative)
    try:
        # PynamoDB reads the whole item back into `item`.
        item.update(
            actions=[RelativeLink.status.set("active"), RelativeLink.accepted_at.set(at)],
            condition=RelativeLink.requester.exists() & RelativeLink.accepted_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return _record(item)


def end_between(one: str, other: str) -> bool:
    """Delete the links in both directions between two patients; whether any existed."""
    existing = [link for link in (get(one, other), get(other, one)) if link is not None]
    if not existing:
        return False
    with TransactWrite(connection=connection()) as tx:
        for link in existing:
            tx.delete(RelativeLink(link.requester, link.relative))
    return True


def made_by(requester: str) -> list[relatives.RelativeLink]:
    return [_record(item) for item in RelativeLink.query(requester, limit=MAX_LISTED)]


def made_towards(relative: str) -> list[relatives.RelativeLink]:
    return [_record(item) for item in RelativeLink.towards_relative.query(relative, limit=MAX_LISTED)]
