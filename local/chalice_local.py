"""`chalice local`, with a listen queue deep enough for a burst of requests.

`http.server` keeps the default backlog of 5 connections. `chalice local` serves each
request on a thread, and while those threads hold the interpreter the accepting thread falls
behind: a sixth practice PC connecting at that moment is reset. API Gateway has no such
limit, so neither should the local stand-in.

It also hands TRACE and QUERY to the app, which answers a method a route does not take with
405 and `Allow`; `http.server` would answer them 501 itself, as if the server had failed.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

ACCEPT_QUEUE = 128

if __name__ == "__main__":
    local.ThreadedHTTPServer.request_queue_size = ACCEPT_QUEUE
    handler = local.ChaliceRequestHandler
    handler.do_TRACE = handler.do_QUERY = handler.do_GET
    sys.exit(main())
