"""Links between patients: who may act for whom. Keyed by the requester, so "may I act for
this person" is one GetItem; an index by the relative lists the links made towards them."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import Conflict
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


def get(requester: str, relative: str) -> RelativeLink | None:
    try:
        return RelativeLink.get(requester, relative, consistent_read=True)
    except DoesNotExist:
        return None


def create(link: RelativeLink) -> None:
    try:
        link.save(condition=RelativeLink.requester.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("you are already linked to this relative") from exc
        raise


def accept(link: RelativeLink, at: datetime) -> bool:
    """Activate the link if it still exists and is not accepted yet; False otherwise."""
    try:
        link.update(
            actions=[RelativeLink.status.set("active"), RelativeLink.accepted_at.set(at)],
            condition=RelativeLink.requester.exists() & RelativeLink.accepted_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def end_between(one: str, other: str) -> bool:
    """Delete the links in both directions between two patients; whether any existed."""
    existing = [link for link in (get(one, other), get(other, one)) if link is not None]
    if not existing:
        return False
    with TransactWrite(connection=connection()) as tx:
        for link in existing:
            tx.delete(link)
    return True


def made_by(requester: str) -> list[RelativeLink]:
    return list(RelativeLink.query(requester, limit=MAX_LISTED))


def made_towards(relative: str) -> list[RelativeLink]:
    return list(RelativeLink.towards_relative.query(relative, limit=MAX_LISTED))
