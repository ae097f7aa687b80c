"""The API reference page in a real browser: headless Chromium opens `/v1/docs` on the local
stack over HTTP, and Swagger UI lists every operation of the OpenAPI document the stack serves,
with nothing refused by the page's Content-Security-Policy (which admits only the stack itself,
so the page loads nothing from another host).

`make test` installs Debian's `chromium` first when it is not on PATH (`make chromium`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest
import requests

from local.stack import Stack, running

METHODS = {"get", "put", "post", "delete", "patch"}
BROWSER_SECONDS = 120
# Headless, and quiet: no sandbox (the tests may run as root), no GPU, and none of the
# browser's own traffic (updates, sync, field trials) leaves the machine.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--enable-logging=stderr",
    "--v=0",
    # The page's scripts get 15 s of virtual time to fetch the document and render it.
    "--virtual-time-budget=15000",
)
# One operation in Swagger UI's DOM: its method, then the path it documents.
_OPERATION = re.compile(r'opblock-summary-method">([A-Z]+)</span>.*?data-path="([^"]+)"', re.DOTALL)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running() as started:
        yield started


def browse(url: str) -> tuple[str, str]:
    """The DOM once the page's scripts have run, and the browser's log (its console included)."""
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not on PATH: `make chromium` installs it"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=BROWSER_SECONDS,
            check=True,
        )
    return done.stdout, done.stderr


def test_the_reference_page_lists_every_operation(stack: Stack) -> None:
    document = requests.get(f"{stack.base_url}/v1/openapi.json", timeout=30).json()
    # OpenAPI 3.1's webhooks are operations too, which Swagger UI lists under their names.
    documented = {
        (method.upper(), path)
        for section in ("paths", "webhooks")
        for path, item in document.get(section, {}).items()
        for method in item
        if method in METHODS
    }
    dom, log = browse(f"{stack.base_url}/v1/docs")
    assert set(_OPERATION.findall(dom)) == documented
    assert "Content Security Policy" not in log
