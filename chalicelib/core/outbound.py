"""Calling receivers' endpoints: resolve, check every address, then connect to the address
that was checked (not to a second lookup an attacker's DNS could answer differently).

TLS still verifies the certificate against the URL's host name, which is also sent as SNI
and as `Host`. Redirects are not followed: a 3xx is a failed attempt like any non-2xx.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.domain import webhooks as rules

TIMEOUT_SECONDS = 10.0


class Blocked(Exception):
    """The host has no address we may call."""


@dataclass(frozen=True)
class Answer:
    status: int | None
    retry_after: str | None
    error: str | None
    duration_ms: int


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an address literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_address(host: str, port: int, allow_local: bool) -> str:
    """An address of `host` to connect to, once all of them have passed the check: a name
    with one private address among public ones is refused as a whole."""
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise Blocked("the host does not resolve") from exc
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses or not all(rules.address_allowed(a, allow_local) for a in addresses):
        raise Blocked("the host resolves to an address that is not public")
    return str(addresses[0])


def post(url: str, headers: dict[str, str], body: bytes, allow_local: bool) -> Answer:
    """POST `body` to `url`; failures to connect come back as an `Answer` with an error."""
    import urllib3

    started = time.monotonic()
    parts = urlsplit(url)
    pool: urllib3.HTTPConnectionPool | None = None
    try:
        try:
            target = rules.check_url(url, allow_local)
        except ValueError as exc:
            raise Blocked(f"the URL {exc}") from exc
        address = checked_address(target.host, target.port, allow_local)
        timeout = urllib3.Timeout(total=TIMEOUT_SECONDS)
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                target.port,
                server_hostname=target.host,
                assert_hostname=target.host,
                timeout=timeout,
                retries=False,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": parts.netloc},
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        # The receiver's answer body is of no use to us; it is not read.
        response.close()
        return Answer(response.status, response.headers.get("Retry-After"), None, _since(started))
    except Blocked as exc:
        return Answer(None, None, str(exc), _since(started))
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return Answer(None, None, _describe(exc), _since(started))
    finally:
        if pool is not None:
            pool.close()


def _describe(exc: BaseException) -> str:
    """Why a connection failed, without the URL (it may carry the owner's tokens)."""
    import urllib3

    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timed out"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "TLS handshake failed"
    return "connection failed"


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
