"""Calling receivers' endpoints: resolve, check every address, then connect to the address
that was checked (not to a second lookup an attacker's DNS could answer differently).

TLS still verifies the certificate against the URL's host name, which is also sent as SNI
and as `Host`. Redirects are not followed: a 3xx is a failed attempt like any non-2xx.

Every step has a bound, so that a sender can tell how long one attempt may take at worst
(`WORST_CASE_SECONDS`): the name lookup, the connection, and the whole exchange up to the
answer's status line and headers, however slowly a receiver trickles them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from chalicelib.domain import webhooks as rules

if TYPE_CHECKING:
    from urllib3.connection import HTTPConnection

# getaddrinfo has no timeout of its own; a lookup that takes longer is given up.
RESOLVE_SECONDS = 3.0
# Opening the TCP connection; part of ATTEMPT_SECONDS.
CONNECT_SECONDS = 3.0
# From connecting to the answer's headers, TLS handshake and request included.
ATTEMPT_SECONDS = 10.0
WORST_CASE_SECONDS = RESOLVE_SECONDS + ATTEMPT_SECONDS


class Blocked(Exception):
    """The host has no address we may call."""


@dataclass(frozen=True)
class Answer:
    status: int | None
    retry_after: str | None
    error: str | None
    duration_ms: int


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an address literal resolves to itself), or
    TimeoutError after RESOLVE_SECONDS. The lookup cannot be interrupted, so it runs on a
    daemon thread of its own: a resolver that never answers keeps that thread, not the caller
    (and not a pool that later lookups would queue behind)."""
    found: Future[list[str]] = Future()

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.set_result(list(dict.fromkeys(str(info[4][0]) for info in infos)))
        except Exception as exc:  # handed to the caller, which waits for this future
            found.set_exception(exc)

    threading.Thread(target=lookup, name="resolve", daemon=True).start()
    return found.result(timeout=RESOLVE_SECONDS)


def checked_address(host: str, port: int, allow_local: bool) -> str:
    """An address of `host` to connect to, once all of them have passed the check: a name
    with one private address among public ones is refused as a whole."""
    try:
        found = resolve(host, port)
    except TimeoutError as exc:
        raise Blocked("the host did not resolve in time") from exc
    except (OSError, UnicodeError) as exc:
        raise Blocked("the host does not resolve") from exc
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses or not all(rules.address_allowed(a, allow_local) for a in addresses):
        raise Blocked("the host resolves to an address that is not public")
    return str(addresses[0])


def post(url: str, headers: dict[str, str], body: bytes, allow_local: bool) -> Answer:
    """POST `body` to `url`; failures to connect come back as an `Answer` with an error."""
    started = time.monotonic()
    try:
        try:
            target = rules.check_url(url, allow_local)
        except ValueError as exc:
            raise Blocked(f"the URL {exc}") from exc
        address = checked_address(target.host, target.port, allow_local)
    except Blocked as exc:
        return Answer(None, None, str(exc), _since(started))
    return _exchange(target, address, urlsplit(url), headers, body, started)


def _exchange(
    target: rules.Target,
    address: str,
    parts: SplitResult,
    headers: dict[str, str],
    body: bytes,
    started: float,
) -> Answer:
    """One request on a connection of its own to `address`. A socket timeout bounds each read
    only, and a receiver sending a byte now and then would renew it for ever: at
    ATTEMPT_SECONDS the connection is cut from a timer, whatever it is waiting for."""
    import http.client

    import urllib3
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.util.ssl_match_hostname import CertificateError

    conn: HTTPConnection
    if target.scheme == "https":
        conn = HTTPSConnection(
            address,
            target.port,
            timeout=CONNECT_SECONDS,
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        conn = HTTPConnection(address, target.port, timeout=CONNECT_SECONDS)
    cut = threading.Event()
    timer = threading.Timer(ATTEMPT_SECONDS, _cut, (conn, cut))
    timer.daemon = True
    timer.start()
    try:
        conn.connect()
        conn.timeout = ATTEMPT_SECONDS
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(
            "POST", path, body=body, headers={**headers, "Host": parts.netloc}, preload_content=False
        )
        # The receiver's answer body is of no use to us; it is not read.
        response = conn.getresponse()
        return Answer(response.status, response.headers.get("Retry-After"), None, _since(started))
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, CertificateError) as exc:
        return Answer(None, None, "timed out" if cut.is_set() else _describe(exc), _since(started))
    finally:
        timer.cancel()
        conn.close()


def _cut(conn: HTTPConnection, cut: threading.Event) -> None:
    """Shut the socket down under the reader, which then fails at once. Until the connection
    exists the connect timeout bounds the wait, which is shorter."""
    cut.set()
    sock = conn.sock
    if sock is not None:
        # Closed already, by the receiver or by the attempt itself: nothing left to cut.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _describe(exc: BaseException) -> str:
    """Why a connection failed, without the URL (it may carry the owner's tokens)."""
    import ssl

    import urllib3
    from urllib3.util.ssl_match_hostname import CertificateError

    if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
        return "timed out"
    if isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError | CertificateError):
        return "TLS handshake failed"
    return "connection failed"


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
