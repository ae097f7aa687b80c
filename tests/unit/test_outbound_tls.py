"""The sender connects to the address it checked, yet verifies TLS against the URL's host
name: a receiver on 127.0.0.1 with a certificate for `localhost`, trusted or not."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.core import outbound


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Accept(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204 if self.headers["host"].startswith("localhost:") else 400)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Path]]:
    cert, key = self_signed(tmp_path, "localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(outbound, "resolve", lambda _host, _port: ["127.0.0.1"])
    try:
        yield server.server_address[1], cert
    finally:
        server.shutdown()
        server.server_close()


def test_a_trusted_certificate_for_the_url_host_is_accepted(
    tls_receiver: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    answer = outbound.post(f"https://localhost:{port}/hook", {}, b"{}", allow_local=True)
    assert (answer.status, answer.error) == (204, None)


def test_an_untrusted_certificate_fails_the_attempt(tls_receiver: tuple[int, Path]) -> None:
    port, _ = tls_receiver
    answer = outbound.post(f"https://localhost:{port}/hook", {}, b"{}", allow_local=True)
    assert (answer.status, answer.error) == (None, "TLS handshake failed")


def test_a_certificate_for_another_name_fails_the_attempt(
    tls_receiver: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    answer = outbound.post(f"https://receiver.test:{port}/hook", {}, b"{}", allow_local=True)
    assert (answer.status, answer.error) == (None, "TLS handshake failed")
