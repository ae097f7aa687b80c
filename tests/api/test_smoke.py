from tests.api.conftest import Api


def test_health(api: Api) -> None:
    got = api.get("/v1/health")
    assert got.status == 200
    assert got.json == {"status": "ok"}


def test_issue_invoice(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    got = api.invoice(doctor)
    assert got.status == 201, got.body
    print(got.json)
