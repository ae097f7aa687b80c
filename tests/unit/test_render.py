"""The QR code (matrix, SVG) and the A4 invoice PDF, down to a real scan of the PDF."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pypdfium2 as pdfium
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fpdf.fonts import TTFFont

from bench.render import sample_document
from chalicelib.domain.shares import Line
from chalicelib.render import font_embedding, pdf, qr, typeface

A4_POINTS = (595.28, 841.89)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def document() -> pdf.InvoiceDocument:
    return sample_document(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


@pytest.fixture(scope="module")
def token(document: pdf.InvoiceDocument) -> str:
    return document.qr


def page_text(document: Any, index: int = 0) -> str:
    # pdfium gives back the no-break spaces of amounts as they are; compare on plain ones.
    return str(document[index].get_textpage().get_text_range()).replace("\u00a0", " ")


def scan(data: bytes, index: int = 0) -> list[str]:
    """The QR codes that a reader finds on a page rasterised at 150 dpi."""
    image = pdfium.PdfDocument(data)[index].render(scale=150 / 72).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


# --- QR matrix and SVG -----------------------------------------------------------------------


def test_matrix_is_the_smallest_version_at_most_10_with_its_quiet_zone(token: str) -> None:
    modules = qr.matrix(token)
    size = len(modules)
    assert all(len(row) == size for row in modules)
    version = (size - 2 * qr.QUIET_ZONE - 17) // 4
    assert size == 4 * version + 17 + 2 * qr.QUIET_ZONE
    assert version == 8  # 196 alphanumeric characters: version 7 holds 178 at level M
    assert version <= qr.MAX_VERSION
    quiet = range(qr.QUIET_ZONE)
    for i in quiet:
        assert not any(modules[i]) and not any(modules[size - 1 - i])
        assert not any(row[i] or row[size - 1 - i] for row in modules)
    assert modules[qr.QUIET_ZONE][qr.QUIET_ZONE]  # the corner of the top-left finder


def test_matrix_rows_are_independent(token: str) -> None:
    modules = qr.matrix(token)
    modules[0][0] = True
    assert not modules[1][0] and not modules[-1][0]
    assert qr.matrix(token) != modules


@pytest.mark.parametrize("length", [312, 5000])
def test_matrix_refuses_text_above_version_10(length: int) -> None:
    with pytest.raises(ValueError, match="version"):
        qr.matrix("A" * length)


def test_dark_runs_cover_exactly_the_dark_modules(token: str) -> None:
    modules = qr.matrix(token)
    rebuilt = [[False] * len(row) for row in modules]
    for y, x, n in qr.dark_runs(modules):
        assert n > 0 and not any(rebuilt[y][x : x + n])
        rebuilt[y][x : x + n] = [True] * n
    assert rebuilt == modules


def test_svg_is_xml_of_the_same_matrix(token: str) -> None:
    document = qr.svg(token)
    assert document.startswith(b"<?xml")
    root = ET.fromstring(document)
    assert root.tag == f"{SVG}svg"
    modules = qr.matrix(token)
    size = len(modules)
    assert root.get("viewBox") == f"0 0 {size} {size}"
    background = root.find(f"{SVG}rect")
    assert background is not None and background.get("fill") == "#fff"
    paths = root.findall(f"{SVG}path")
    assert len(paths) == 1
    rebuilt = [[False] * size for _ in range(size)]
    commands = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", paths[0].get("d", ""))
    assert "".join(f"M{x} {y}h{n}v1h-{m}z" for x, y, n, m in commands) == paths[0].get("d")
    for x, y, n, _ in commands:
        for column in range(int(x), int(x) + int(n)):
            rebuilt[int(y)][column] = True
    assert rebuilt == modules


# --- the invoice PDF -------------------------------------------------------------------------


def test_pdf_is_one_a4_page_in_french(document: pdf.InvoiceDocument) -> None:
    data = pdf.invoice_pdf(document)
    assert data.startswith(b"%PDF-")
    rendered = pdfium.PdfDocument(data)
    assert len(rendered) == 1
    assert rendered[0].get_size() == pytest.approx(A4_POINTS, abs=0.01)
    text = page_text(rendered)
    for expected in (
        "Mémoire d'honoraires",
        "N° 2026-000001",
        "Dr Élise Müller-Schmit",
        "Code médecin : 123456-78",
        "Jean Dupont",
        "1893120105732",
        "Date d'émission : 20/11/2026",
        "Date des soins : 20/11/2026",
        "Consultation d'un médecin généraliste",
        "57,70 €",
        "1 292,26 €",
        "Part assurance (CNS)",
        "50,78 €",
        "Part patient",
        "1 241,48 €",
        "Statut : payée",
        "Paiement : réglé",
        "Reste à payer",
        "0,00 €",
    ):
        assert expected in text, expected
    assert "Tiers payant" not in text


def test_pdf_qr_code_scans_at_150_dpi(document: pdf.InvoiceDocument, token: str) -> None:
    assert scan(pdf.invoice_pdf(document)) == [token]


def test_tiers_payant_and_status_wording(document: pdf.InvoiceDocument) -> None:
    claimed = dataclasses.replace(
        document, direct_payment=True, status="claimed", paid_cents=0, patient=pdf.Patient("1")
    )
    text = page_text(pdfium.PdfDocument(pdf.invoice_pdf(claimed)))
    assert "Tiers payant" in text
    assert "Statut : remboursement demandé" in text
    assert "Paiement : non réglé" in text
    assert "Reste à payer 1 241,48 €" in text  # under tiers payant, only the patient's share


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("issued", "émise"),
        ("paid", "payée"),
        ("claimed", "remboursement demandé"),
        ("reimbursed", "remboursée"),
        ("rejected", "remboursement refusé"),
        ("cancelled", "annulée"),
    ],
)
def test_every_status_has_a_french_label(status: str, label: str) -> None:
    assert pdf.STATUS_LABELS[status] == label


def test_unknown_status_or_insurer_is_refused(document: pdf.InvoiceDocument) -> None:
    with pytest.raises(ValueError, match="status"):
        dataclasses.replace(document, status="lost")
    with pytest.raises(ValueError, match="insurer"):
        dataclasses.replace(document, insurer="AXA")


def test_long_invoice_breaks_pages_and_keeps_the_qr_code_on_page_1(
    document: pdf.InvoiceDocument, token: str
) -> None:
    long_label = "Consultation au cabinet un dimanche ou un jour férié légal, " * 3
    lines = tuple(Line(f"C{i}", long_label, 1, 5770, 5770, True) for i in range(40))
    data = pdf.invoice_pdf(dataclasses.replace(document, lines=lines))
    rendered = pdfium.PdfDocument(data)
    assert len(rendered) > 1
    assert "Libellé" in page_text(rendered, 1)  # the headings again on the next page
    assert "Reste à payer" in page_text(rendered, len(rendered) - 1)
    assert scan(data) == [token]


NAMES = "Дмитрий Παπαδόπουλος Łukasz Nguyễn"


def test_names_in_any_european_script_print_as_written(document: pdf.InvoiceDocument) -> None:
    label = "Consultation Ștefan Țurcanu – « Ελληνικά » ’"
    foreign = dataclasses.replace(
        document,
        practice=pdf.Practice(NAMES, "123456-78", "Médecine générale"),
        patient=pdf.Patient("1893120105732", NAMES),
        lines=(Line("C1", label, 1, 5770, 5770, True),),
    )
    data = pdf.invoice_pdf(foreign)
    text = page_text(pdfium.PdfDocument(data))
    assert NAMES in text.splitlines()  # the practice's line, as written
    assert label in text
    # The patient's field is narrower: the name wraps at a space, letters unchanged.
    assert f"Patient : {NAMES}" in text.replace("\r\n", " ")
    assert b"DejaVuSansCondensed" in data and b"Helvetica" not in data
    assert scan(data) == [document.qr]


def test_a_name_typed_with_combining_marks_prints_composed(document: pdf.InvoiceDocument) -> None:
    decomposed = unicodedata.normalize("NFD", NAMES)
    assert decomposed != NAMES
    named = dataclasses.replace(document, practice=pdf.Practice(decomposed, "123456-78"))
    assert NAMES in page_text(pdfium.PdfDocument(pdf.invoice_pdf(named))).splitlines()


def test_what_the_font_lacks_prints_as_a_question_mark(document: pdf.InvoiceDocument) -> None:
    foreign = dataclasses.replace(
        document,
        practice=pdf.Practice("Dr Anne Weber", "123456-78", "Médecine générale 👍"),
        lines=(Line("C1", "Consultation 日本 ﬁn", 1, 5770, 5770, True),),
    )
    text = page_text(pdfium.PdfDocument(pdf.invoice_pdf(foreign)))
    for expected in ("Médecine générale ?", "Consultation ?? fin"):
        assert expected in text, expected


def test_documents_drawn_at_once_on_threads_keep_their_own_text(document: pdf.InvoiceDocument) -> None:
    # Every document copies the fonts parsed once per process; none may see another's glyphs.
    names = [f"{name} {i}" for i, name in enumerate(["Дмитрий", "Παπαδόπουλος", "Łukasz", "Nguyễn"] * 4)]
    documents = [dataclasses.replace(document, patient=pdf.Patient("1893120105732", n)) for n in names]
    with ThreadPoolExecutor(max_workers=8) as pool:
        drawn = list(pool.map(pdf.invoice_pdf, documents))
    for name, data, one in zip(names, drawn, documents, strict=True):
        assert name in page_text(pdfium.PdfDocument(data))
        assert data == pdf.invoice_pdf(one)


def test_the_fonts_are_parsed_once_per_process(document: pdf.InvoiceDocument) -> None:
    pdf.invoice_pdf(document)
    parsed = typeface._cut(0)
    pdf.invoice_pdf(document)
    assert typeface._cut(0) is parsed


def test_a_latin_document_never_parses_the_full_cut(document: pdf.InvoiceDocument) -> None:
    # The cold start of a container that draws only Latin names pays for the small cuts only:
    # the core cut, which every document's fixed wording is in, and the Latin cut.
    typeface._parse.cache_clear()
    pdf.invoice_pdf(dataclasses.replace(document, patient=pdf.Patient("1", "Łukasz Dvořák")))
    assert typeface._parse.cache_info().currsize == 2


@pytest.mark.parametrize(
    ("texts", "cut"),
    [
        ([], "DejaVuSansCondensed-Core.ttf"),
        (["Dr Élise Müller-Schmit", "Zoé Kremer – « 1 234,56 € »"], "DejaVuSansCondensed-Core.ttf"),
        (
            ["Dr Élise Müller-Schmit", "Łukasz Dvořák", "Ștefan Țurcanu – « 1 234,56 € »"],
            "DejaVuSansCondensed-Latin.ttf",
        ),
        (["Consultation 日本 ﬁn 👍"], "DejaVuSansCondensed-Core.ttf"),  # printed as "?? fin ?"
        (["Łukasz", "Дмитрий"], "DejaVuSansCondensed.ttf"),
        (["Nguyễn"], "DejaVuSansCondensed.ttf"),
        (["Παπαδόπουλος"], "DejaVuSansCondensed.ttf"),
    ],
)
def test_a_document_takes_the_smallest_cut_that_shows_its_texts(texts: list[str], cut: str) -> None:
    from fpdf import FPDF

    drawn = FPDF()
    typeface.add_to(drawn, texts)
    regular, bold = drawn.fonts["dejavu"], drawn.fonts["dejavuB"]
    assert Path(str(getattr(regular, "ttffile", ""))).name == cut
    assert Path(str(getattr(bold, "ttffile", ""))).name == cut.replace("Condensed", "Condensed-Bold")


@pytest.mark.parametrize(
    "field",
    ["doctor_name", "specialty", "doctor_code", "matricule", "patient_name", "number", "code", "label"],
)
def test_every_text_of_the_document_chooses_the_cut(document: pdf.InvoiceDocument, field: str) -> None:
    greek = "Ελληνικά"
    practice, patient, line = document.practice, document.patient, document.lines[0]
    changes: dict[str, dict[str, Any]] = {
        "doctor_name": {"practice": dataclasses.replace(practice, doctor_name=greek)},
        "specialty": {"practice": dataclasses.replace(practice, specialty=greek)},
        "doctor_code": {"practice": dataclasses.replace(practice, doctor_code=greek)},
        "matricule": {"patient": dataclasses.replace(patient, matricule=greek)},
        "patient_name": {"patient": dataclasses.replace(patient, name=greek)},
        "number": {"number": greek},
        "code": {"lines": (dataclasses.replace(line, code="Ωμ"),)},
        "label": {"lines": (dataclasses.replace(line, label=greek),)},
    }
    text = page_text(pdfium.PdfDocument(pdf.invoice_pdf(dataclasses.replace(document, **changes[field]))))
    assert ("Ωμ" if field == "code" else greek) in text


def test_the_font_files_ship_with_their_licence() -> None:
    fonts = Path(typeface.__file__).parent / "fonts"
    assert sorted(p.name for p in fonts.iterdir()) == [
        "DejaVuSansCondensed-Bold-Core.ttf",
        "DejaVuSansCondensed-Bold-Latin.ttf",
        "DejaVuSansCondensed-Bold.ttf",
        "DejaVuSansCondensed-Core.ttf",
        "DejaVuSansCondensed-Latin.ttf",
        "DejaVuSansCondensed.ttf",
        "LICENSE",
    ]
    licence = (fonts / "LICENSE").read_text()
    assert "Bitstream Vera Fonts Copyright" in licence and "Arev Fonts Copyright" in licence


def test_same_document_gives_the_same_bytes(document: pdf.InvoiceDocument) -> None:
    assert pdf.invoice_pdf(document) == pdf.invoice_pdf(document)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "0,00\u00a0€"),
        (5, "0,05\u00a0€"),
        (5770, "57,70\u00a0€"),
        (123456, "1\u00a0234,56\u00a0€"),
        (123456789, "1\u00a0234\u00a0567,89\u00a0€"),
        (-5770, "-57,70\u00a0€"),
    ],
)
def test_euros_in_french(cents: int, text: str) -> None:
    assert pdf.euros(cents) == text


def test_a_document_embeds_its_cut_as_prepared_and_subsets_nothing(
    document: pdf.InvoiceDocument, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fontTools import subset  # type: ignore[import-untyped]

    def refuse(*_: object) -> None:
        raise AssertionError("a document ran fontTools' subsetter")

    monkeypatch.setattr(subset.Subsetter, "subset", refuse)
    drawn = [
        pdf.invoice_pdf(dataclasses.replace(document, patient=pdf.Patient("1893120105732", name)))
        for name in ("Jean Dupont", "Zoé Kremer")
    ]
    for style in typeface._cut(0).styles:
        # The same font program, map of codes and widths in both: prepared once, for every one.
        for data in drawn:
            assert style.embedding.program in data and style.embedding.code_to_glyph in data
            assert style.embedding.widths.encode() in data
    assert "Zoé Kremer" in page_text(pdfium.PdfDocument(drawn[1]))


def test_a_code_is_the_character_s_code_point() -> None:
    from fpdf import FPDF

    drawn = FPDF()
    typeface.add_to(drawn, ["Łukasz"])
    font = drawn.fonts["dejavu"]
    assert isinstance(font, TTFFont)
    assert [font.subset.pick(ord(char)) for char in "Łu €"] == [0x141, 0x75, 0x20, 0x20AC]
    assert font.subset.pick(0x1F44D) is None  # 👍: no glyph, no code
    assert font.missing_glyphs == [0x1F44D]


def test_a_cut_beyond_two_byte_codes_is_refused() -> None:
    beyond = cast("TTFFont", SimpleNamespace(name="Wide", glyph_ids={0x41: 1, 0x1F44D: 2}, cw={}))
    with pytest.raises(ValueError, match="beyond U\\+FFFF"):
        font_embedding.prepare(beyond, b"")


def test_a_document_of_the_typeface_written_by_fpdf2_alone_is_refused() -> None:
    from fpdf import FPDF

    def drawn() -> FPDF:
        document = FPDF()
        typeface.add_to(document, [])
        document.add_page()
        document.set_font(typeface.FAMILY, size=10)
        document.cell(text="Mémoire d'honoraires")
        return document

    with pytest.raises(TypeError, match=r"typeface\.written\(\)"):
        drawn().output()
    assert "Mémoire d'honoraires" in page_text(pdfium.PdfDocument(typeface.written(drawn())))
