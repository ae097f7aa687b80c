"""Webhook rules without I/O, and the address guard with name resolution stubbed out."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import outbound
from chalicelib.domain import webhooks as rules

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "8.8.8.8",
        "2606:4700::1111",
        "2a00:1450:4001:80b::200e",
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert rules.address_allowed(ipaddress.ip_address(address), allow_loopback=False)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "127.8.9.10",
        "::1",
        "10.0.0.1",  # private
        "172.16.5.4",
        "192.168.1.1",
        "fc00::1",  # unique local
        "169.254.169.254",  # link-local: the cloud metadata service
        "fe80::1",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
        "::",
        "224.0.0.1",  # multicast
        "ff02::1",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "2001:db8::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "64:ff9b::a00:1",  # NAT64
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert not rules.address_allowed(ipaddress.ip_address(address), allow_loopback=False)


def test_the_local_stage_also_allows_loopback_and_nothing_else_internal() -> None:
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert rules.address_allowed(ipaddress.ip_address(address), allow_loopback=True)
    for address in ("10.0.0.1", "169.254.169.254", "192.168.1.1"):
        assert not rules.address_allowed(ipaddress.ip_address(address), allow_loopback=True)


def test_url_shape() -> None:
    assert rules.check_url("https://hooks.example.com/x?a=1", False) == rules.Target(
        "https", "hooks.example.com", 443
    )
    assert rules.check_url("http://localhost:8080/x", True).port == 8080
    for url in ("http://hooks.example.com/", "ftp://x/", "https:///x", "https://u:p@h/", "https://h/#f"):
        with pytest.raises(ValueError, match=r"."):
            rules.check_url(url, False)
    with pytest.raises(ValueError, match="2048"):
        rules.check_url("https://h/" + "a" * 2048, False)


def stub_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
    def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError("unknown host")
        return names[host]

    monkeypatch.setattr(outbound, "resolve", resolve)


def test_every_resolved_address_must_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_dns(
        monkeypatch,
        {
            "good.example": ["93.184.215.14", "2606:4700::1111"],
            "rebind.example": ["93.184.215.14", "127.0.0.1"],
            "metadata.example": ["169.254.169.254"],
            "zoned.example": ["fe80::1%eth0"],
        },
    )
    assert outbound.checked_address("good.example", 443, False) == "93.184.215.14"
    for host in ("rebind.example", "metadata.example", "zoned.example", "missing.example"):
        with pytest.raises(outbound.Blocked):
            outbound.checked_address(host, 443, False)


def test_a_blocked_host_is_a_failed_attempt_without_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_dns(monkeypatch, {"internal.example": ["10.1.2.3"]})
    answer = outbound.post("https://internal.example/hook", {}, b"{}", allow_local=False)
    assert answer.status is None
    assert answer.error == "the host resolves to an address that is not public"
    assert outbound.post("http://internal.example/", {}, b"{}", allow_local=False).error == (
        "the URL must be an https:// URL"
    )


def test_the_schedule_with_jitter() -> None:
    waits = [
        rules.judge(500, attempts, rules.MAX_ATTEMPTS, None, NOW, 0.0).next_attempt_at
        for attempts in range(1, rules.MAX_ATTEMPTS)
    ]
    assert [w - NOW for w in waits if w] == [timedelta(seconds=s) for s in rules.RETRY_SCHEDULE[1:]]
    stretched = rules.judge(None, 2, rules.MAX_ATTEMPTS, None, NOW, 0.999).next_attempt_at
    assert stretched is not None
    assert timedelta(minutes=5) < stretched - NOW < timedelta(minutes=5.5)
    total = sum(rules.RETRY_SCHEDULE, 0) / 86400
    assert 3 < total < 3.5  # "about three days"


def test_outcomes() -> None:
    assert rules.judge(200, 1, 10, None, NOW, 0).fate == "delivered"
    assert rules.judge(299, 1, 10, None, NOW, 0).fate == "delivered"
    assert rules.judge(301, 1, 10, None, NOW, 0).fate == "retry"
    assert rules.judge(410, 1, 10, None, NOW, 0).fate == "disable"
    assert rules.judge(None, 1, 10, None, NOW, 0).fate == "retry"
    assert rules.judge(500, 10, 10, None, NOW, 0).fate == "dead"
    assert rules.judge(500, 11, 11, None, NOW, 0).fate == "dead"


def test_retry_after_waits_longer_never_shorter_and_at_most_a_day() -> None:
    later = rules.judge(503, 1, 10, timedelta(minutes=10), NOW, 0).next_attempt_at
    assert later == NOW + timedelta(minutes=10)
    sooner = rules.judge(503, 3, 10, timedelta(seconds=1), NOW, 0).next_attempt_at
    assert sooner == NOW + timedelta(minutes=30)
    capped = rules.judge(503, 1, 10, timedelta(days=30), NOW, 0).next_attempt_at
    assert capped == NOW + timedelta(hours=24)


def test_parse_retry_after() -> None:
    assert rules.parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert rules.parse_retry_after("Mon, 23 Nov 2026 10:30:00 GMT", NOW) == timedelta(hours=1)
    assert rules.parse_retry_after("Mon, 23 Nov 2026 08:00:00 GMT", NOW) == timedelta(0)
    for junk in (None, "", "soon", "-5", "1.5"):
        assert rules.parse_retry_after(junk, NOW) is None


def test_routing() -> None:
    assert rules.event_owners("1893120105732", "12345678") == ["patient#1893120105732", "doctor#12345678"]
    assert rules.event_owners(None, None) == []
    assert rules.wants(None, "claim.decided")
    assert not rules.wants(["invoice.issued"], "claim.decided")


def test_no_delivery_outlives_its_event() -> None:
    """The longest any delivery can stay pending: every wait at its longest, jitter and the
    longest Retry-After included. Its event is kept that long and 35 days more."""
    at = NOW
    for attempts in range(1, rules.MAX_ATTEMPTS):
        verdict = rules.judge(503, attempts, rules.MAX_ATTEMPTS, timedelta(days=30), at, 0.999)
        assert verdict.next_attempt_at is not None
        at = verdict.next_attempt_at
    assert rules.judge(503, rules.MAX_ATTEMPTS, rules.MAX_ATTEMPTS, None, at, 0).fate == "dead"
    assert at - NOW <= rules.LONGEST_DELIVERY
    assert rules.EVENT_KEPT >= rules.LONGEST_DELIVERY + rules.KEPT_SETTLED
