"""Webhook endpoints and deliveries as plain records, and the rules of delivery without I/O:
who an endpoint belongs to, which URLs and addresses may be called, and the Standard Webhooks
retry schedule. The event types are in `domain.webhook_terms`."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from chalicelib.domain.webhook_terms import MAX_URL_LENGTH

# Seconds to wait before each attempt (Standard Webhooks): the first goes at once, the last
# about three days after the event.
RETRY_SCHEDULE: tuple[int, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)
# Waits are stretched by up to this fraction, so endpoints that failed together (an outage)
# are not all retried in the same second; never shortened, so Retry-After still holds.
JITTER = 0.1
LONGEST_WAIT = timedelta(seconds=RETRY_SCHEDULE[-1])
# The longest a delivery can stay pending: no wait is longer than the longest one with its
# jitter, Retry-After included (`judge`).
LONGEST_DELIVERY = MAX_ATTEMPTS * LONGEST_WAIT * (1 + JITTER)
# Deliveries and events hold personal data: DynamoDB's TTL deletes a delivery this long after
# it is settled (delivered, dead or cancelled); until then its owner can read and replay it.
KEPT_SETTLED = timedelta(days=35)
# An event outlives every delivery made of it, so that each stays replayable as long as it is
# kept: counted from the dispatch, or from the replay that starts a delivery again.
EVENT_KEPT = LONGEST_DELIVERY + KEPT_SETTLED
# Endpoints one owner may register: all of them are read with one query per event.
MAX_ENDPOINTS_PER_OWNER = 10

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# An endpoint's status.
ACTIVE = "active"
DISABLED = "disabled"
# A delivery's state: pending while it owes an attempt, then one of the other three.
PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Endpoint:
    """A receiver registered by a patient or a doctor. Its signing secret is kept sealed to
    the endpoint id (`core.sealing`): only the sender opens it."""

    endpoint_id: str
    # `patient#<matricule>` or `doctor#<doctor code>` (`owner_key`).
    owner: str
    url: str
    # The event types asked for, sorted; None for all.
    events: tuple[str, ...] | None
    sealed_secret: str
    status: str
    created_at: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True)
class Attempt:
    """One call of an endpoint: its status code, or the error that left it without one."""

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class Delivery:
    """One event for one endpoint. It holds what the owner may see (event id and type,
    attempts, status codes, times), never the event's payload, which stays in the outbox."""

    endpoint_id: str
    delivery_id: str
    event_id: str
    event_type: str
    created_at: datetime
    state: str
    # Attempts started so far; also the token that keeps two senders off one attempt.
    attempts: int
    # A failure of this attempt ends in the dead letters (raised by one on a replay).
    final_attempt: int
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    finished_at: datetime | None = None
    reason: str | None = None
    # The latest attempts, oldest first.
    history: tuple[Attempt, ...] = ()
    # While an attempt is owed: the instant by which it must have started, after which the
    # re-enqueue job sends it again. None once the delivery is finished.
    due_at: datetime | None = None
    # Once settled: when DynamoDB deletes it (KEPT_SETTLED after `finished_at`).
    expires_at: datetime | None = None


def owner_key(role: str, identifier: str) -> str:
    """The owner of an endpoint: a patient (by matricule) or a doctor (by doctor code)."""
    return f"{role}#{identifier}"


def event_owners(patient: str | None, doctor_code: str | None) -> list[str]:
    """Whose endpoints an event is for, from the outbox's routing fields."""
    owners = []
    if patient:
        owners.append(owner_key("patient", patient))
    if doctor_code:
        owners.append(owner_key("doctor", doctor_code))
    return owners


def wants(subscribed: Collection[str] | None, event_type: str) -> bool:
    """An endpoint without a list takes every event type."""
    return subscribed is None or event_type in subscribed


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def check_url(url: str, allow_local: bool) -> Target:
    """The shape rules of an endpoint URL; the addresses it resolves to are checked apart
    (`address_allowed`) because that takes DNS. Raises ValueError with the reason."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError("is not a valid URL") from exc
    schemes = ("https", "http") if allow_local else ("https",)
    if parts.scheme not in schemes:
        raise ValueError("must be an https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials")
    if parts.fragment:
        raise ValueError("must not have a fragment")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one tunnels to, if any: such an address reaches that host."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_allowed(address: Address, allow_loopback: bool) -> bool:
    """Whether we may connect to `address`: public unicast only (no private, loopback,
    link-local, shared, multicast or reserved range); loopback as well on a laptop."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return address_allowed(embedded, allow_loopback)
    if allow_loopback and address.is_loopback:
        return True
    return address.is_global and not address.is_multicast and not address.is_reserved


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    # Imported here: `email` loads `socket` and more, which the cold start need not pay.
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


Fate = Literal["delivered", "disable", "retry", "dead"]


@dataclass(frozen=True)
class Verdict:
    fate: Fate
    next_attempt_at: datetime | None = None


def judge(
    status: int | None,
    attempts: int,
    final_attempt: int,
    retry_after: timedelta | None,
    now: datetime,
    spread: float,
) -> Verdict:
    """What follows an attempt: only 2xx is delivered, 410 Gone turns the endpoint off, and
    anything else waits for the next slot of the schedule (or for Retry-After, if later)
    until `final_attempt` attempts have been made. `spread` in [0, 1) picks the jitter."""
    if status is not None and 200 <= status < 300:
        return Verdict("delivered")
    if status == 410:
        return Verdict("disable")
    if attempts >= final_attempt:
        return Verdict("dead")
    wait = timedelta(seconds=RETRY_SCHEDULE[min(attempts, MAX_ATTEMPTS - 1)] * (1 + JITTER * spread))
    if retry_after is not None:
        wait = max(wait, min(retry_after, LONGEST_WAIT))
    return Verdict("retry", now + wait)
