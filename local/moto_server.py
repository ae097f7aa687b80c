"""moto's server, answering one request at a time.

DynamoDB applies each request atomically; moto's backends do not lock, so a threaded moto
could interleave two transactions. Serving requests one by one gives the local stack and the
concurrency tests the same atomicity the real service gives.
"""

from __future__ import annotations

import argparse

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    run_simple(
        "127.0.0.1",
        args.port,
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
