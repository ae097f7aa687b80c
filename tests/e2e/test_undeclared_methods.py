"""Over real HTTP, `chalice local` answers a method no route declares (TRACE, CONNECT, WebDAV's
PROPFIND, a made-up one) as the app answers PATCH on a GET route: a problem+json 405 with the
route's Allow header, never `http.server`'s HTML 501."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from local.stack import Stack, running

UNDECLARED = ("TRACE", "CONNECT", "PROPFIND", "MKCOL", "BREW")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running() as started:
        yield started


@pytest.fixture
def connection(stack: Stack) -> Iterator[http.client.HTTPConnection]:
    """One kept-alive connection: each answer must leave it fit for the next request."""
    where = urlsplit(stack.base_url)
    opened = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
    yield opened
    opened.close()


def ask(
    connection: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection.request(method, path, headers=headers or {})
    answer = connection.getresponse()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()


@pytest.mark.parametrize("method", UNDECLARED)
def test_an_undeclared_method_is_a_problem_405(connection: http.client.HTTPConnection, method: str) -> None:
    status, headers, body = ask(connection, method, "/v1/invoices", {"X-Request-Id": f"probe-{method}"})
    assert status == 405
    assert headers["content-type"] == "application/problem+json"
    assert set(headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert headers["x-request-id"] == f"probe-{method}"
    problem = json.loads(body)
    assert problem["type"] == "urn:dhn:problem:method-not-allowed"
    assert problem["status"] == 405
    assert method in problem["detail"]
    # The connection is still in step: the next request on it gets its own answer.
    assert ask(connection, "GET", "/v1/health")[0] == 200


def test_a_path_without_a_route_answers_an_undeclared_method_as_it_answers_get(
    connection: http.client.HTTPConnection,
) -> None:
    status, headers, body = ask(connection, "TRACE", "/v1/nowhere")
    expected_status, expected_headers, expected_body = ask(connection, "GET", "/v1/nowhere")
    assert (status, body) == (expected_status, expected_body)
    assert headers["content-type"] == expected_headers["content-type"] == "application/json"
