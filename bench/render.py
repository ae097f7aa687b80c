"""How long one invoice PDF takes to draw, its QR code included (target: median ≤ 12 ms).

Median and p95 of 200 renders of a typical invoice, whose names take the typeface's core cut,
and the medians of one whose patient's name takes the Latin cut and of one in Cyrillic and
Greek, which takes the full cut (chalicelib/render/typeface.py tells why there are three). The
first render of each is left out: it pays for importing fpdf2 and qrcode and for parsing and
preparing the fonts (once per process: chalicelib/render/font_embedding.py), which is
cold-start time, measured with `python -X importtime`, not render time.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from datetime import date

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.domain import qr_token
from chalicelib.domain.shares import Line
from chalicelib.render import pdf

ITERATIONS = 200
TARGETS = {"pdf_median_ms": 12.0}
NOTES = {
    "pdf_latin_cut_median_ms": "a name in Latin Extended-A (Łukasz Dvořák): the Latin cut",
    "pdf_full_cut_median_ms": "Greek, Cyrillic or Vietnamese: the font with every glyph",
}

SAMPLE_CLAIMS = qr_token.QrClaims("inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z", "CNS", 129226, date(2026, 11, 20))


def sample_document(key: Ed25519PrivateKey) -> pdf.InvoiceDocument:
    """A typical invoice: two lines, accents, amounts in the thousands, a real token."""
    return pdf.InvoiceDocument(
        practice=pdf.Practice("Dr Élise Müller-Schmit", "123456-78", "Médecine générale"),
        patient=pdf.Patient("1893120105732", "Jean Dupont"),
        number="2026-000001",
        issued_on=date(2026, 11, 20),
        service_date=date(2026, 11, 20),
        insurer="CNS",
        lines=(
            Line("C1", "Consultation d'un médecin généraliste", 1, 5770, 5770, True),
            Line("CP1", "Convenance personnelle", 1, 123456, 123456, False),
        ),
        total_cents=129226,
        insurer_share_cents=5078,
        patient_share_cents=124148,
        paid_cents=129226,
        status="paid",
        direct_payment=False,
        qr=qr_token.encode(SAMPLE_CLAIMS, key),
    )


def run(iterations: int = ITERATIONS) -> dict[str, float]:
    """Median and 95th percentile, in milliseconds, of rendering the PDF and its QR code."""
    document = sample_document(Ed25519PrivateKey.generate())
    latin = dataclasses.replace(document, patient=pdf.Patient("1893120105732", "Łukasz Dvořák"))
    foreign = dataclasses.replace(document, patient=pdf.Patient("1893120105732", "Дмитрий Παπαδόπουλος"))
    timings = _timings(document, iterations)
    return {
        "pdf_median_ms": statistics.median(timings),
        "pdf_p95_ms": statistics.quantiles(timings, n=20)[-1],
        "pdf_latin_cut_median_ms": statistics.median(_timings(latin, iterations // 2)),
        "pdf_full_cut_median_ms": statistics.median(_timings(foreign, iterations // 2)),
    }


def _timings(document: pdf.InvoiceDocument, iterations: int) -> list[float]:
    pdf.invoice_pdf(document)  # warm-up: imports, and the fonts parsed once per process
    timings: list[float] = []
    for _ in range(iterations):
        start = time.perf_counter()
        pdf.invoice_pdf(document)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


if __name__ == "__main__":
    from bench import table

    table.main(["bench.render"])
