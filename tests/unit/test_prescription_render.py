"""The A4 prescription (chalicelib.render.pdf.prescription_pdf): in French, every item, and a
QR code that a reader finds on the page rasterised at 150 dpi."""

from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.domain.prescription_token import PrescriptionClaims
from chalicelib.domain.prescriptions import Item, Medication
from chalicelib.render import pdf
from tests.unit.test_render import page_text, scan

ITEMS = tuple(
    Item(Medication("0012345" if n % 2 else None, f"Médicament n° {n}"), n % 3 + 1, "1 le matin", bool(n % 2))
    for n in range(10)
)


def document(items: tuple[Item, ...] = ITEMS[:2], repeats: int = 0) -> pdf.PrescriptionDocument:
    qr = PrescriptionClaims("rx_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 2**128 - 1).sign(Ed25519PrivateKey.generate())
    return pdf.PrescriptionDocument(
        practice=pdf.Practice("Dr Anne Weber", "123456-78"),
        patient=pdf.Patient("1893120105732", "Marie Schmit"),
        reference="rx_01JD63E5F7G9H1J3K5M7N9P1Q3",
        issued_on=date(2026, 11, 23),
        expires_on=date(2027, 2, 21),
        repeats=repeats,
        items=items,
        qr=qr,
    )


def test_the_longest_qr_code_scans_at_150_dpi() -> None:
    doc = document()
    assert scan(pdf.prescription_pdf(doc)) == [doc.qr]


def test_every_item_is_printed_in_french() -> None:
    doc = document(ITEMS, repeats=3)
    printed = pdfium.PdfDocument(pdf.prescription_pdf(doc))
    text = " ".join(page_text(printed, index) for index in range(len(printed)))
    for word in (
        "Ordonnance",
        "Marie Schmit",
        "1893120105732",
        "Valable jusqu'au",
        "21/02/2027",
        "À renouveler 3 fois",
    ):
        assert word in text
    for item in ITEMS:
        assert item.medication.name in text
    assert "non substituable" in text and "substitution autorisée" in text
    assert "Non renouvelable" in page_text(pdfium.PdfDocument(pdf.prescription_pdf(document())))


def test_the_same_prescription_gives_the_same_bytes() -> None:
    doc = document()
    assert pdf.prescription_pdf(doc) == pdf.prescription_pdf(doc)
