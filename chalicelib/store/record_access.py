"""The patient's settings of their shared care record, one partition per patient: whether it
is closed, the practices granted access or blocked, and the emergency windows doctors opened.

The sort keys order the partition so that what `GET /patient/record` answers (blocks, grants,
the status) is one bounded query, and what decides one practice's standing is one batch read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.models import Model

from chalicelib.domain import record_access as rules
from chalicelib.domain import record_terms as terms
from chalicelib.domain.record_access import Block, Emergency, Grant, Record
from chalicelib.store.base import TableMeta, named

Entry = Literal["block", "grant", "window"]
# Sorts after every `block#` and `grant#` key and before every `window#` key.
STATUS = "record"


def _key(entry: Entry, doctor_code: str) -> str:
    return f"{entry}#{doctor_code}"


class RecordAccessItem(Model):
    class Meta(TableMeta):
        table_name = named("record_access")

    # The patient's matricule (the table is encrypted at rest; no key leaves DynamoDB).
    patient = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    doctor_code = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    until_day = UnicodeAttribute(null=True)
    opened_at = UTCDateTimeAttribute(null=True)
    until = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    changed_at = UTCDateTimeAttribute()


def _grant(item: RecordAccessItem) -> Grant:
    return Grant(
        item.doctor_code,
        item.name or "",
        date.fromisoformat(item.until_day) if item.until_day else None,
    )


def _block(item: RecordAccessItem) -> Block:
    return Block(item.doctor_code, item.name or "")


def _window(item: RecordAccessItem) -> Emergency:
    return Emergency(
        item.doctor_code,
        item.opened_at,
        item.until,
        item.reason or "",
    )


def standing_of(patient: str, doctor_code: str) -> tuple[bool, Grant | None, bool, Emergency | None]:
    """What the patient decided about one practice: whether the record is closed, its grant,
    whether it is blocked, and its emergency window; one BatchGetItem."""
    keys = [(patient, STATUS), *((patient, _key(e, doctor_code)) for e in ("grant", "block", "window"))]
    found = {item.entry: item for item in RecordAccessItem.batch_get(keys, consistent_read=True)}
    status = found.get(STATUS)
    grant = found.get(_key("grant", doctor_code))
    window = found.get(_key("window", doctor_code))
    return (
        status is not None and status.status == terms.CLOSED,
        _grant(grant) if grant else None,
        _key("block", doctor_code) in found,
        _window(window) if window else None,
    )


def record_of(patient: str) -> Record:
    """The status, grants and blocks: one query, bounded by the most a patient may keep."""
    items = RecordAccessItem.query(
        patient,
        range_key_condition=RecordAccessItem.entry.between("block#", STATUS),
        limit=rules.MAX_GRANTS + rules.MAX_BLOCKS + 1,
        consistent_read=True,
    )
    status: terms.RecordStatus = terms.OPEN
    grants: list[Grant] = []
    blocks: list[Block] = []
    for item in items:
        if item.entry == STATUS:
            status = terms.CLOSED if item.status == terms.CLOSED else terms.OPEN
        elif item.entry.startswith("grant#"):
            grants.append(_grant(item))
        else:
            blocks.append(_block(item))
    return Record(status, grants, blocks)


def save_grant(patient: str, grant: Grant, at: datetime) -> None:
    RecordAccessItem(
        patient,
        _key("grant", grant.doctor_code),
        doctor_code=grant.doctor_code,
        name=grant.name,
        until_day=grant.until.isoformat() if grant.until else None,
        changed_at=at,
    ).save()


def save_block(patient: str, block: Block, at: datetime) -> None:
    RecordAccessItem(
        patient,
        _key("block", block.doctor_code),
        doctor_code=block.doctor_code,
        name=block.name,
        changed_at=at,
    ).save()


def remove(patient: str, entry: Literal["grant", "block"], doctor_code: str) -> bool:
    """Delete a grant or a block; False when there was none."""
    try:
        RecordAccessItem(patient, _key(entry, doctor_code)).delete(condition=RecordAccessItem.entry.exists())
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def set_status(patient: str, status: terms.RecordStatus, at: datetime) -> None:
    RecordAccessItem(patient, STATUS, status=status, changed_at=at).save()


def open_window(patient: str, window: Emergency) -> None:
    """Open (or extend) the practice's emergency window on the patient's record."""
    RecordAccessItem(
        patient,
        _key("window", window.doctor_code),
        doctor_code=window.doctor_code,
        opened_at=window.opened_at,
        until=window.until,
        reason=window.reason,
        changed_at=window.opened_at,
    ).save()
