"""`chalice local`, with a listen queue deep enough for a burst of requests, and every HTTP
method answered by the app.

`http.server` keeps the default backlog of 5 connections. `chalice local` serves each
request on a thread, and while those threads hold the interpreter the accepting thread falls
behind: a sixth practice PC connecting at that moment is reset. API Gateway has no such
limit, so neither should the local stand-in.

`http.server` also answers a method it has no `do_<METHOD>` for (TRACE, CONNECT, PROPFIND…)
itself, with an HTML 501. Here every method reaches the app like GET does, so a route answers
a method it does not declare with its problem+json 405 and its Allow header.

And `http.server` writes each request line to stderr, path included. An employer's share
code is a credential in the path (`/v1/employer/certificates/<code>`): the line keeps the
code's first characters only, as API Gateway's access logs keep only the route's template.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

from chalice import local
from chalice.app import Chalice
from chalice.cli import main
from chalice.config import Config

ACCEPT_QUEUE = 128
SHARE_CODE_IN_PATH = re.compile(r"(/employer/certificates/[^/?\s]{0,4})[^/?\s]*")


def redacted(line: str) -> str:
    """A request line with any share code in it cut to 4 characters."""
    return SHARE_CODE_IN_PATH.sub(r"\1…", line)


class Handler(local.ChaliceRequestHandler):
    # Set by http.server for each request; declared for mypy, which sees chalice's class as Any.
    requestline: str

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        super().log_message('"%s" %s %s', redacted(self.requestline), str(code), str(size))

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Only reached for what the class lacks: `do_TRACE` and the like.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)


class Server(local.ThreadedHTTPServer):
    request_queue_size = ACCEPT_QUEUE


class DevServer(local.LocalDevServer):
    def __init__(
        self,
        app_object: Chalice,
        config: Config,
        host: str,
        port: int,
        handler_cls: local.HandlerCls = Handler,
        server_cls: local.ServerCls = Server,
    ) -> None:
        super().__init__(app_object, config, host, port, handler_cls, server_cls)


if __name__ == "__main__":
    # `chalice local` makes its server through this name.
    local.LocalDevServer = DevServer  # type: ignore[misc]
    sys.exit(main())
