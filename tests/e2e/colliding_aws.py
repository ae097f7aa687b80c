"""A proxy in front of the local stack's moto server that cancels transactions as DynamoDB
does when two touch one item at the same moment (`TransactionConflict`): moto applies each
request alone and never does. The API reaches AWS through it (`local.stack.running`'s
`api_aws`); every other request passes unchanged.

A transaction is known by its ClientRequestToken: the first attempt of `pattern`'s chosen
transactions is cancelled (before moto sees it, so it writes nothing) and their retries,
which carry the same token, pass. So N of every M transactions collide, and the request
must still succeed.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"
# Hop-by-hop, or recomputed from the body relayed.
_NOT_RELAYED = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Collisions:
    """Which transactions collide: the first attempt of each one `pattern` picks, in the
    order their tokens are first seen."""

    pattern: tuple[bool, ...]
    tokens: dict[str, int] = field(default_factory=dict)
    cancelled: int = 0
    transactions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def collides(self, body: bytes) -> int | None:
        """The number of items of a transaction to cancel now; None to let it through."""
        request = json.loads(body)
        token = request.get("ClientRequestToken") or f"untokened-{self.transactions}"
        with self.lock:
            attempts = self.tokens.get(token, 0)
            self.tokens[token] = attempts + 1
            if attempts:
                return None
            turn = self.pattern[self.transactions % len(self.pattern)]
            self.transactions += 1
            if not turn:
                return None
            self.cancelled += 1
        return len(request["TransactItems"])


def _cancellation(items: int) -> bytes:
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
    reasons += [{"Code": "None"}] * (items - 1)
    return json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{', '.join(r['Code'] for r in reasons)}]",
            "CancellationReasons": reasons,
        }
    ).encode()


@contextmanager
def proxy(target: str, collisions: Collisions) -> Iterator[str]:
    """A proxy on 127.0.0.1 in front of `target` (moto's URL) for as long as the block runs;
    its URL."""
    upstream = urlsplit(target)

    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.headers.get("x-amz-target") == TRANSACT_WRITE:
                items = collisions.collides(body)
                if items is not None:
                    self._answer(400, {"Content-Type": "application/x-amz-json-1.0"}, _cancellation(items))
                    return
            connection = http.client.HTTPConnection(
                upstream.hostname or "127.0.0.1", upstream.port, timeout=60
            )
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_RELAYED}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                relayed = answer.read()
                kept = {k: v for k, v in answer.getheaders() if k.lower() not in _NOT_RELAYED}
                # A HEAD answer says the length of a body it does not carry.
                length = answer.getheader("content-length") if self.command == "HEAD" else None
                self._answer(answer.status, kept, relayed, length)
            finally:
                connection.close()

        def _answer(
            self, status: int, headers: dict[str, str], body: bytes, length: str | None = None
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", length or str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the API's log is the one worth reading."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
