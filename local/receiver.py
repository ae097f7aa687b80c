"""A webhook receiver on 127.0.0.1 that checks every request with the Standard Webhooks
verifier, as a patient's app or practice software would. The tests and the benchmark use
it; `python -m local.receiver --secret whsec_…` prints what arrives during a walk-through.

It answers 204 unless told otherwise: `answers` is a queue of (status, headers) it pops one
per request, so a test can make it fail a few times and then recover. `misbehaving` gives the
receivers no sender should wait for: one that takes the connection and never answers (a
tarpit), one that hangs up without a word, one that trickles its answer a byte at a time.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Misbehaviour = Literal["tarpit", "hang-up", "trickle"]
# How long a trickling receiver waits between two bytes of its answer.
TRICKLE_SECONDS = 0.05


@dataclass(frozen=True)
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool
    status: int
    at: float


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)
    answers: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def verify(self, body: bytes, headers: dict[str, str]) -> bool:
        from standardwebhooks import Webhook
        from standardwebhooks.webhooks import WebhookVerificationError

        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return True
        return False

    def answer(self) -> tuple[int, dict[str, str]]:
        return self.answers.popleft() if self.answers else (204, {})

    def delivered(self) -> list[Received]:
        """What was accepted (2xx) and verified."""
        return [r for r in self.received if r.verified and 200 <= r.status < 300]

    def wait_for(self, count: int, seconds: float) -> list[Received]:
        """Block until `count` verified deliveries were accepted, or the time is up."""
        deadline = time.monotonic() + seconds
        with self.arrived:
            while len(self.delivered()) < count and time.monotonic() < deadline:
                self.arrived.wait(deadline - time.monotonic())
        return self.delivered()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra = receiver.answer()
            record = Received(
                headers.get("webhook-id", ""),
                headers,
                json.loads(body or b"{}"),
                receiver.verify(body, headers),
                status,
                time.monotonic(),
            )
            # Recorded before answering: once the sender has its answer, the test sees it.
            with receiver.arrived:
                receiver.received.append(record)
                receiver.arrived.notify_all()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read `received` instead."""

    return Handler


@contextmanager
def running(secrets: list[str] | None = None, port: int = 0) -> Iterator[Receiver]:
    """A receiver on a loopback port (a free one by default) for as long as the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(Receiver("")))
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks", list(secrets or []))
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Misbehaving:
    url: str
    # Connections the sender opened to it so far.
    connections: int = 0


def _misbehave(how: Misbehaviour, conn: socket.socket, stop: threading.Event) -> None:
    # The sender closing its end (it gave up, as it should) ends the misbehaviour.
    with conn, suppress(OSError):
        if how == "hang-up":
            conn.recv(65536)
            return
        if how == "trickle":
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
                if stop.wait(TRICKLE_SECONDS):
                    return
                conn.sendall(bytes([byte]))
        stop.wait()


@contextmanager
def misbehaving(how: Misbehaviour) -> Iterator[Misbehaving]:
    """A receiver on a loopback port that accepts every connection and then misbehaves."""
    listener = socket.create_server(("127.0.0.1", 0))
    # Woken now and then to see whether the block is over: a blocked accept() is not.
    listener.settimeout(0.1)
    receiver = Misbehaving(f"http://127.0.0.1:{listener.getsockname()[1]}/hooks")
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            receiver.connections += 1
            threading.Thread(target=_misbehave, args=(how, conn, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        stop.set()
        thread.join()
        listener.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--secret", action="append", default=[], help="an endpoint's whsec_… secret")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    with running(args.secret, args.port) as receiver:
        print(f"Receiving at {receiver.url}", flush=True)
        seen = 0
        try:
            while True:
                with receiver.arrived:
                    receiver.arrived.wait(1)
                for record in receiver.received[seen:]:
                    mark = "verified" if record.verified else "NOT VERIFIED"
                    print(f"{record.webhook_id} {mark}: {json.dumps(record.body)}", flush=True)
                seen = len(receiver.received)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
