"""Links between patients: who may act for whom. Keyed by the requester and the relative, so
"may I act for this person" is one GetItem; an index by the relative lists the links made
towards them, and one by `link_id` finds the link a URL names.

The model stays in this module: it takes and returns `domain.relatives.RelativeLink` records."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.errors import Conflict
from chalicelib.domain import relatives
from chalicelib.store.base import TableMeta, named

# A person has a handful of relatives; this bounds one listing without pages.
MAX_LISTED = 100


class TowardsRelative(GlobalSecondaryIndex["RelativeLink"]):
    class Meta:
        index_name = "by-relative"
        projection = AllProjection()

    relative = UnicodeAttribute(hash_key=True)
    requester = UnicodeAttribute(range_key=True)


class ByLinkId(GlobalSecondaryIndex["RelativeLink"]):
    """From the `link_id` in a URL to the link's key; the link itself is then read by its key,
    strongly consistent."""

    class Meta:
        index_name = "by-link-id"
        projection = KeysOnlyProjection()

    link_id = UnicodeAttribute(hash_key=True)


class RelativeLink(Model):
    class Meta(TableMeta):
        table_name = named("relatives")

    requester = UnicodeAttribute(hash_key=True)
    relative = UnicodeAttribute(range_key=True)
    link_id = UnicodeAttribute()
    relationship = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    accepted_at = UTCDateTimeAttribute(null=True)
    towards_relative = TowardsRelative()
    by_link_id = ByLinkId()


def _record(item: RelativeLink) -> relatives.RelativeLink:
    return relatives.RelativeLink(
        item.link_id,
        item.requester,
        item.relative,
        cast("relatives.Relationship", item.relationship),
        item.created_at,
        item.accepted_at,
    )


def _failed_condition(exc: PutError | UpdateError | DeleteError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def get(requester: str, relative: str) -> relatives.RelativeLink | None:
    try:
        return _record(RelativeLink.get(requester, relative, consistent_read=True))
    except DoesNotExist:
        return None


def find(link_id: str) -> relatives.RelativeLink | None:
    for key in RelativeLink.by_link_id.query(link_id, limit=1):
        found = get(key.requester, key.relative)
        return found if found is not None and found.link_id == link_id else None
    return None


def create(link: relatives.RelativeLink) -> None:
    item = RelativeLink(
        link.requester,
        link.relative,
        link_id=link.link_id,
        relationship=link.relationship,
        created_at=link.created_at,
        accepted_at=link.accepted_at,
    )
    try:
        item.save(condition=RelativeLink.requester.does_not_exist())
    except PutError as exc:
        if _failed_condition(exc):
            raise Conflict("you are already linked to this relative") from exc
        raise


def accept(link: relatives.RelativeLink, at: datetime) -> relatives.RelativeLink | None:
    """Record the acceptance if this very link still exists and is not accepted yet: the link
    as it is now, or None."""
    item = RelativeLink(link.requester, link.relative)
    try:
        # PynamoDB reads the whole item back into `item`.
        item.update(
            actions=[RelativeLink.accepted_at.set(at)],
            condition=(RelativeLink.link_id == link.link_id) & RelativeLink.accepted_at.does_not_exist(),
        )
    except UpdateError as exc:
        if _failed_condition(exc):
            return None
        raise
    return _record(item)


def end(link: relatives.RelativeLink) -> bool:
    """Delete this very link (not one made again since); whether it was still there."""
    try:
        RelativeLink(link.requester, link.relative).delete(condition=RelativeLink.link_id == link.link_id)
    except DeleteError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def made_by(requester: str, limit: int = MAX_LISTED) -> list[relatives.RelativeLink]:
    return [_record(item) for item in RelativeLink.query(requester, limit=limit, consistent_read=True)]


def made_towards(relative: str) -> list[relatives.RelativeLink]:
    return [_record(item) for item in RelativeLink.towards_relative.query(relative, limit=MAX_LISTED)]
