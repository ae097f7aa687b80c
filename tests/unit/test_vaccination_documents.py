"""A booklet's documents without I/O: the entry's signed token, its one-page PDF down to a scan
of the QR code, the whole booklet in A4, and the FHIR R4 resources parsed back by
fhir.resources, which importing the app does not load."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.domain import signed_token
from chalicelib.domain import vaccination_schedule as engine
from chalicelib.domain.signed_token import Claim, Kind
from chalicelib.domain.vaccinations import EntryClaims, Recorder, Vaccination
from chalicelib.render import fhir, vaccination_pdf
from tests.unit.test_render import page_text, scan

ROOT = Path(__file__).resolve().parents[2]
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ENTRY_ID = "vac_01KAAAAAAAAAAAAAAAAAAAAAAA"
PATIENT_ID = "pat_01KBBBBBBBBBBBBBBBBBBBBBBB"
HOLDER = vaccination_pdf.Holder("Nguyễn Léa Schmit", "2026100100123")


ENTRY = Vaccination(
    vaccination_id=ENTRY_ID,
    patient=HOLDER.matricule,
    vaccine_code="J07CA09",
    vaccine_name="Hexyon",
    targets=("diphtheria", "tetanus", "pertussis", "polio", "hib", "hepatitis_b"),
    dose_number=1,
    given_on=date(2026, 12, 1),
    lot_number="X4C21",
    verified=True,
    recorded_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    recorded_by=Recorder("practice", "123456-78", "Dr Anne Weber"),
    document_id="doc_01KAAAAAAAAAAAAAAAAAAAAAAA",
)


def entry(**fields: Any) -> Vaccination:
    return replace(ENTRY, **fields)


def signed() -> Vaccination:
    return replace(ENTRY, qr=EntryClaims(ENTRY_ID, date(2026, 12, 1)).sign(KEY))


def test_the_entrys_token_names_the_entry_and_its_day_only() -> None:
    token = signed().qr
    verified = signed_token.verify(
        Kind.VACCINATION, token, {signed_token.key_id(KEY.public_key()): KEY.public_key()}
    )
    assert verified.document_id == ENTRY_ID
    assert dict(verified.claims) == {Claim.DATE: (date(2026, 12, 1) - date(1970, 1, 1)).days}
    # The same claims give the same token; an invoice verifier refuses it.
    assert EntryClaims(ENTRY_ID, date(2026, 12, 1)).sign(KEY) == token
    with pytest.raises(signed_token.InvalidToken):
        signed_token.verify(Kind.INVOICE, token, {signed_token.key_id(KEY.public_key()): KEY.public_key()})


def test_the_entrys_page_prints_it_with_a_qr_code_that_scans() -> None:
    document = signed()
    data = vaccination_pdf.entry_pdf(HOLDER, document)
    pages = pdfium.PdfDocument(data)
    assert len(pages) == 1
    text = page_text(pages)
    for printed in ["Carnet de vaccination", "Nguyễn Léa Schmit", "Hexyon (J07CA09)", "X4C21", "01/12/2026"]:
        assert printed in text
    assert "tétanos" in text
    assert scan(data) == [document.qr]
    assert vaccination_pdf.entry_pdf(HOLDER, document) == data


def test_the_booklet_prints_entries_and_recommendations_over_pages() -> None:
    entries = [
        entry(given_on=date(2026, 12, 1)),
        entry(verified=False, lot_number=None, dose_number=None),
    ] * 20
    advice = engine.evaluate(engine.schedule(), date(2026, 10, 1), entries, date(2026, 12, 2))
    data = vaccination_pdf.booklet_pdf(HOLDER, entries, advice, "LU-2026.1", date(2026, 12, 2))
    pages = pdfium.PdfDocument(data)
    assert len(pages) >= 2
    text = "".join(page_text(pages, i) for i in range(len(pages)))
    assert "déclarée, non vérifiée" in text and "Recommandations" in text and "LU-2026.1" in text
    width, height = pages[0].get_size()
    assert (round(width), round(height)) == (595, 842)


def test_the_booklet_in_fhir_parses_back() -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.immunization import Immunization

    entries = [signed(), entry(verified=False, dose_number=None, lot_number=None)]
    text = fhir.immunizations(PATIENT_ID, entries)
    bundle = Bundle.model_validate_json(text)
    assert bundle.total == 2
    assert all(isinstance(e.resource, Immunization) for e in bundle.entry or [])
    raw = json.loads(text)
    declared = raw["entry"][1]["resource"]
    assert declared["protocolApplied"][0]["doseNumberString"] == "unknown"
    assert "lotNumber" not in declared and "performer" not in declared
    assert raw["entry"][0]["resource"]["performer"] == [{"actor": {"display": "Dr Anne Weber"}}]
    assert HOLDER.matricule not in text and HOLDER.name not in text


def test_the_recommendations_in_fhir_parse_back_with_their_dates() -> None:
    from fhir.resources.R4B.immunizationrecommendation import ImmunizationRecommendation

    today = date(2026, 12, 2)
    items = engine.evaluate(engine.schedule(), date(2026, 10, 1), [signed()], today)
    text = fhir.recommendation(PATIENT_ID, items, "LU-2026.1", today)
    resource = ImmunizationRecommendation.model_validate_json(text)
    assert len(resource.recommendation) == len(items)
    raw = json.loads(text)["recommendation"]
    complete = [r for r in raw if r["forecastStatus"]["text"] == "complete"]
    assert all("dateCriterion" not in r for r in complete)
    codes = {c["code"]["coding"][0]["code"] for r in raw for c in r.get("dateCriterion", [])}
    assert codes == {"30981-5", "30980-7", "59778-1"}


def test_importing_the_app_loads_no_fhir_library() -> None:
    probe = (
        "import sys, app; print(sorted(m for m in sys.modules if m.split('.')[0] in ('fhir', 'fhir_core')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
