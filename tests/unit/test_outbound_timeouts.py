"""Every step of an attempt has a bound: a receiver that never answers, one that trickles its
answer, one that hangs up, and a resolver that never comes back all end the attempt in time,
as a failed attempt with its reason. The bounds are shortened here; the misbehaving receivers
are those of `local.receiver`, on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chalicelib.core import outbound
from local import receiver as receivers

BOUND = 0.3
# Time for the thread switches and the loopback around one bounded step.
SLACK = 1.0


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "ATTEMPT_SECONDS", BOUND)
    monkeypatch.setattr(outbound, "RESOLVE_SECONDS", BOUND)


def timed_post(url: str) -> tuple[outbound.Answer, float]:
    started = time.monotonic()
    answer = outbound.post(url, {"content-type": "application/json"}, b"{}", allow_local=True)
    return answer, time.monotonic() - started


@pytest.mark.parametrize("how", ["tarpit", "trickle"])
def test_a_receiver_that_does_not_finish_answering_is_cut_off(how: receivers.Misbehaviour) -> None:
    # A trickle renews any socket timeout with each byte: only the attempt's deadline ends it.
    with receivers.misbehaving(how) as slow:
        answer, took = timed_post(slow.url)
    assert (answer.status, answer.error) == (None, "timed out")
    assert BOUND <= took < BOUND + SLACK
    assert slow.connections == 1


def test_a_receiver_that_hangs_up_is_a_failed_attempt_at_once() -> None:
    with receivers.misbehaving("hang-up") as rude:
        answer, took = timed_post(rude.url)
    assert (answer.status, answer.error) == (None, "connection failed")
    assert took < BOUND


@pytest.fixture
def hanging_resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Name lookups block until the test is over, as with a resolver that never answers."""
    release = threading.Event()

    def never(*args: object, **kwargs: object) -> list[object]:
        release.wait()
        raise socket.gaierror("released")

    monkeypatch.setattr(socket, "getaddrinfo", never)
    yield release
    release.set()


def test_a_resolver_that_hangs_is_given_up(hanging_resolver: threading.Event) -> None:
    started = time.monotonic()
    with pytest.raises(outbound.Blocked, match="did not resolve in time"):
        outbound.checked_address("receiver.example", 443, allow_local=False)
    assert time.monotonic() - started < BOUND + SLACK

    answer, took = timed_post("http://receiver.example/hooks")
    assert (answer.status, answer.error) == (None, "the host did not resolve in time")
    assert took < BOUND + SLACK
    # Lookups still hanging do not hold up the next one: each has a thread of its own.
    answer, took = timed_post("http://receiver.example/hooks")
    assert took < BOUND + SLACK
