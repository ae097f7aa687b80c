"""The local server writes each request line to stderr: an employer's share code, a credential
in the path, is cut to its first characters there."""

from __future__ import annotations

import pytest

from local.chalice_local import Handler, redacted

CODE = "q3Zk0vXh8mT2Lr6YcWb1Na"


@pytest.mark.parametrize(
    ("line", "written"),
    [
        (f"GET /v1/employer/certificates/{CODE} HTTP/1.1", "GET /v1/employer/certificates/q3Zk… HTTP/1.1"),
        (
            f"GET /v1/employer/certificates/{CODE}/pdf HTTP/1.1",
            "GET /v1/employer/certificates/q3Zk…/pdf HTTP/1.1",
        ),
        (
            f"GET /v1/employer/certificates/{CODE}?x=1 HTTP/1.1",
            "GET /v1/employer/certificates/q3Zk…?x=1 HTTP/1.1",
        ),
        ("GET /v1/insurer/certificates?limit=5 HTTP/1.1", "GET /v1/insurer/certificates?limit=5 HTTP/1.1"),
    ],
)
def test_redacted(line: str, written: str) -> None:
    assert redacted(line) == written


def test_the_request_log_writes_the_redacted_line(capsys: pytest.CaptureFixture[str]) -> None:
    handler = Handler.__new__(Handler)
    handler.requestline = f"GET /v1/employer/certificates/{CODE}/pdf HTTP/1.1"
    handler.client_address = ("127.0.0.1", 5000)
    handler.log_request(200)
    err = capsys.readouterr().err
    assert '/v1/employer/certificates/q3Zk…/pdf HTTP/1.1" 200' in err
    assert CODE not in err
