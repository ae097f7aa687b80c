"""The API reference page, its two Swagger UI files and the OpenAPI document: public, served
from the package's own files with their media types, and cached only where that is safe."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from chalicelib.api import contract
from tests.api.conftest import Answer, Api
from tests.api.test_conventions import assert_problem

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(find_spec("swagger_ui").origin or "").parent / "static"  # type: ignore[union-attr]
MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}


def links(page: Answer) -> dict[str, str]:
    """The page's relative links by file name, as `docs/NAME?v=DIGEST`."""
    found = re.findall(r'(?:href|src)="(docs/([^"?]+)\?v=[0-9a-f]+)"', page.body.decode())
    return {name: link for link, name in found}


def test_the_page_needs_no_token_and_links_only_its_own_files(api: Api) -> None:
    page = api.get("/v1/docs")
    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert set(links(page)) == set(MEDIA_TYPES)
    assert "://" not in page.body.decode()
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "'unsafe-eval'" not in policy
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)", policy)


@pytest.mark.parametrize("name", sorted(MEDIA_TYPES))
def test_the_linked_files_are_swagger_ui_s_own_and_kept_for_good(api: Api, name: str) -> None:
    got = api.get(f"/v1/{links(api.get('/v1/docs'))[name]}")
    assert got.status == 200
    assert got.headers["content-type"] == MEDIA_TYPES[name]
    assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.body == (STATIC / name).read_bytes()


def test_a_file_asked_for_without_the_page_s_digest_is_revalidated(api: Api) -> None:
    for query in ("", "?v=0123456789abcdef"):
        got = api.get(f"/v1/docs/swagger-ui.css{query}")
        assert got.status == 200
        assert got.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "name", ["swagger-editor-bundle.js", "swagger-ui-bundle.js.map", "LICENSE", "..%2Fcore.py"]
)
def test_no_other_file_of_the_package_is_served(api: Api, name: str) -> None:
    assert_problem(api.get(f"/v1/docs/{name}"), 404)


def test_the_document_is_served_as_json(api: Api) -> None:
    got = api.get("/v1/openapi.json")
    assert got.status == 200
    assert got.headers["content-type"] == "application/json"
    assert got.headers["cache-control"] == "no-cache"
    assert got.json == contract.document()


def test_every_answer_travels_as_text_through_api_gateway() -> None:
    from app import app

    binary = {media.lower() for media in app.api.binary_types}
    assert "*/*" not in binary
    for media_type in ["text/html", "application/json", *MEDIA_TYPES.values()]:
        assert media_type.split(";")[0] not in binary


def test_nothing_is_read_before_the_first_request() -> None:
    probe = (
        "import app; from chalicelib.api import reference as r; "
        "print(*(read.cache_info().currsize for read in (r._asset, r._page, r._openapi_json)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0", "0"]
