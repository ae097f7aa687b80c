"""Answers Chalice gives before any route runs are problem+json too, with a request id."""

from tests.api.conftest import Api


def test_unsupported_media_type_is_problem_json(api: Api) -> None:
    got = api.call("POST", "/v1/invoices", None, "<x/>", headers={"content-type": "text/xml"})
    assert got.status == 415
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json["status"] == 415
    assert got.headers["x-request-id"]


def test_method_not_allowed_keeps_allow_header(api: Api) -> None:
    got = api.call("PATCH", "/v1/invoices", None)
    assert got.status == 405
    assert got.headers["content-type"] == "application/problem+json"
    assert set(got.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
