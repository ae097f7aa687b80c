"""The A4 invoice ("mémoire d'honoraires") and prescription ("ordonnance") as PDFs, in French.

The input is a plain frozen dataclass so that the invoice service builds it from its own
values without this module knowing about stores or models. `fpdf2` (about 300 ms of
import) is imported inside `invoice_pdf()`, so only a request that draws a PDF pays for it.

The text is set in an embedded Unicode typeface (`typeface`), so names print as written in
any Latin script (Vietnamese included), in Greek or in Cyrillic.

The QR code is drawn as vector rectangles, one per horizontal run of dark modules, so it
stays sharp at any print or raster resolution (it must scan from 150 dpi) and costs a few
hundred path operators instead of an image encoder.

The same document gives the same bytes: the PDF's creation date is the invoice's issue
date, not the time of rendering, so a re-render matches the copy in the patient's vault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Final, cast

from chalicelib.domain.calendar import LUXEMBOURG
from chalicelib.domain.prescriptions import Item
from chalicelib.domain.shares import Line
from chalicelib.render import qr, typeface

if TYPE_CHECKING:
    from fpdf import FPDF

STATUS_LABELS: Final = {
    "issued": "émise",
    "paid": "payée",
    "claimed": "remboursement demandé",
    "reimbursed": "remboursée",
    "rejected": "remboursement refusé",
    "cancelled": "annulée",
}
INSURER_NAMES: Final = {
    "CNS": "Caisse nationale de santé",
    "CMFEP": "Caisse de maladie des fonctionnaires et employés publics",
    "CMFEC": "Caisse de maladie des fonctionnaires et employés communaux",
    "EMCFL": "Entraide médicale de la société nationale des CFL",
    "RCAM": "Régime commun d'assurance maladie des institutions européennes",
}

# Layout, in millimetres on an A4 portrait page.
_MARGIN: Final = 15.0
_PAGE_WIDTH: Final = 210.0
_QR_SIZE: Final = 38.0  # quiet zone included: 65 modules of 0.58 mm at version 8
_QR_X: Final = _PAGE_WIDTH - _MARGIN - _QR_SIZE
_QR_Y: Final = 12.0
_CONTENT_WIDTH: Final = _PAGE_WIDTH - 2 * _MARGIN
_COLUMNS: Final = (
    ("Code", 18.0, "LEFT"),
    ("Libellé", 84.0, "LEFT"),
    ("Qté", 12.0, "RIGHT"),
    ("Prix unitaire", 26.0, "RIGHT"),
    ("Montant", 26.0, "RIGHT"),
    ("Remb.", 14.0, "CENTER"),
)
_LINE_HEIGHT: Final = 4.5
_CELL_PAD: Final = 1.5
_FONT: Final = typeface.FAMILY
_GREY: Final = (90, 90, 90)
_BLACK: Final = (0, 0, 0)


@dataclass(frozen=True)
class Practice:
    doctor_name: str
    doctor_code: str  # as displayed: 123456-78
    specialty: str | None = None


@dataclass(frozen=True)
class Patient:
    matricule: str
    name: str | None = None


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on the invoice, already computed by the invoice service."""

    practice: Practice
    patient: Patient
    number: str  # 2026-000001
    issued_on: date
    service_date: date
    insurer: str
    lines: tuple[Line, ...]
    total_cents: int
    insurer_share_cents: int
    patient_share_cents: int
    paid_cents: int
    status: str
    direct_payment: bool
    qr: str  # the signed token, printed as the QR code

    def __post_init__(self) -> None:
        if self.status not in STATUS_LABELS:
            raise ValueError(f"unknown invoice status {self.status!r}")
        if self.insurer not in INSURER_NAMES:
            raise ValueError(f"unknown insurer {self.insurer!r}")


def euros(cents: int) -> str:
    """French amount: 1 234,56 € (no-break spaces, so an amount never splits)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u00a0") + f",{rest:02d}\u00a0€"


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as an A4 PDF document."""
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    typeface.add_to(pdf, _texts(doc))
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.c_margin = _CELL_PAD  # the text inset of every cell, so the table columns breathe
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_creation_date(datetime.combine(doc.issued_on, time(), tzinfo=LUXEMBOURG))
    pdf.set_title(f"Mémoire d'honoraires {doc.number}")
    pdf.set_author(doc.practice.doctor_name)
    pdf.set_creator("DHN")
    pdf.set_lang("fr-LU")
    pdf.add_page()

    _qr_code(pdf, doc.qr)
    _header(pdf, doc)
    _lines(pdf, doc)
    _totals(pdf, doc)
    _footer(pdf)
    return typeface.written(pdf)


def _texts(doc: InvoiceDocument) -> list[str]:
    """What the document prints besides its fixed wording: the typeface's cut depends on it."""
    practice, patient = doc.practice, doc.patient
    fields = [practice.doctor_name, practice.specialty, practice.doctor_code, patient.matricule]
    fields += [patient.name, doc.number]
    fields += [text for line in doc.lines for text in (line.code, line.label)]
    return [field for field in fields if field]


def _qr_code(pdf: FPDF, text: str, caption: str = "Code signé, vérifiable par l'assurance") -> None:
    from fpdf.enums import RenderStyle

    modules = qr.matrix(text)
    module = _QR_SIZE / len(modules)
    pdf.set_fill_color(*_BLACK)
    # The style as fpdf2's own value: given as "F", it is parsed again for each of the
    # 600 or so rectangles.
    fill = RenderStyle.F
    for y, x, n in qr.dark_runs(modules):
        pdf.rect(_QR_X + x * module, _QR_Y + y * module, n * module, module, style=fill)
    pdf.set_font(_FONT, size=6.5)
    pdf.set_text_color(*_GREY)
    pdf.set_xy(_QR_X, _QR_Y + _QR_SIZE - 1)
    pdf.cell(_QR_SIZE, 3, caption, align="C")


def _practice(pdf: FPDF, practice: Practice) -> None:
    """The doctor's block, top left beside the QR code."""
    practice_width = _QR_X - _MARGIN - 5
    pdf.set_text_color(*_BLACK)
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.set_font(_FONT, "B", 13)
    _text(pdf, practice_width, 6, practice.doctor_name)
    pdf.set_font(_FONT, size=10)
    if practice.specialty:
        _text(pdf, practice_width, 5, practice.specialty)
    _text(pdf, practice_width, 5, f"Code médecin : {practice.doctor_code}")


def _header(pdf: FPDF, doc: InvoiceDocument) -> None:
    _practice(pdf, doc.practice)
    pdf.set_xy(_MARGIN, _QR_Y + _QR_SIZE + 6)
    pdf.set_font(_FONT, "B", 20)
    pdf.cell(0, 9, "Mémoire d'honoraires", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=11)
    pdf.cell(0, 6, f"N° {doc.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    top = pdf.get_y()
    half = _CONTENT_WIDTH / 2
    _field(pdf, "Patient", doc.patient.name or "-", half)
    _field(pdf, "Matricule", doc.patient.matricule, half)
    _field(pdf, "Assurance", doc.insurer, half)
    pdf.set_font(_FONT, size=8)
    pdf.set_text_color(*_GREY)
    _text(pdf, half - 5, 4, INSURER_NAMES[doc.insurer])
    bottom = pdf.get_y()

    pdf.set_text_color(*_BLACK)
    pdf.set_xy(_MARGIN + half, top)
    _field(pdf, "Date d'émission", _french_date(doc.issued_on), half, x=_MARGIN + half)
    _field(pdf, "Date des soins", _french_date(doc.service_date), half, x=_MARGIN + half)
    _field(pdf, "Statut", STATUS_LABELS[doc.status], half, x=_MARGIN + half)
    pdf.set_xy(_MARGIN, max(bottom, pdf.get_y()) + 6)


def _field(pdf: FPDF, label: str, value: str, width: float, x: float = _MARGIN) -> None:
    pdf.set_x(x)
    pdf.set_font(_FONT, "B", 10)
    label_width = 32
    pdf.cell(label_width, 5.5, f"{label} :")
    pdf.set_font(_FONT, size=10)
    _text(pdf, width - label_width - 5, 5.5, value)


def _lines(pdf: FPDF, doc: InvoiceDocument) -> None:
    # Drawn cell by cell rather than with fpdf2's table(): a third of the time for the same
    # page (the render budget is 12 ms), and the label column is the only one that wraps.
    _line_headings(pdf)
    pdf.set_font(_FONT, size=9)
    for line in doc.lines:
        wrapped = _wrap(pdf, _COLUMNS[1][1], line.label)
        height = len(wrapped) * _LINE_HEIGHT + 2 * _CELL_PAD
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            _line_headings(pdf)
            pdf.set_font(_FONT, size=9)
        top = pdf.get_y()
        values = (
            [typeface.printable(line.code)],
            wrapped,
            [str(line.quantity)],
            [euros(line.unit_cents)],
            [euros(line.amount_cents)],
            ["oui" if line.reimbursable else "non"],
        )
        x = _MARGIN
        for (_, width, align), cell_lines in zip(_COLUMNS, values, strict=True):
            pdf.set_xy(x, top + _CELL_PAD)
            for text in cell_lines:
                pdf.cell(width, _LINE_HEIGHT, text, align=align[0], new_x="LEFT", new_y="NEXT")
            x += width
        pdf.line(_MARGIN, top + height, _MARGIN + _CONTENT_WIDTH, top + height)
        pdf.set_xy(_MARGIN, top + height)
    pdf.ln(4)


def _line_headings(pdf: FPDF) -> None:
    pdf.set_font(_FONT, "B", 9)
    pdf.set_fill_color(235, 235, 235)
    pdf.set_draw_color(170, 170, 170)
    pdf.set_x(_MARGIN)
    for heading, width, align in _COLUMNS:
        pdf.cell(width, _LINE_HEIGHT + 2 * _CELL_PAD, heading, align=align[0], fill=True)
    pdf.ln()
    pdf.line(_MARGIN, pdf.get_y(), _MARGIN + _CONTENT_WIDTH, pdf.get_y())


def _totals(pdf: FPDF, doc: InvoiceDocument) -> None:
    # What the patient owes the doctor: under tiers payant the insurer pays its share.
    due = doc.patient_share_cents if doc.direct_payment else doc.total_cents
    rows = [
        ("Total", euros(doc.total_cents), True),
        (f"Part assurance ({doc.insurer})", euros(doc.insurer_share_cents), False),
        ("Part patient", euros(doc.patient_share_cents), False),
        ("Payé par le patient", euros(doc.paid_cents), False),
    ]
    if doc.status != "cancelled":
        rows.append(("Reste à payer", euros(max(due - doc.paid_cents, 0)), True))
    # The totals and the payment mentions stay on one page with each other.
    if pdf.get_y() + len(rows) * 6 + 25 > pdf.page_break_trigger:
        pdf.add_page()
    label_width, amount_width = 55.0, 30.0
    left = _PAGE_WIDTH - _MARGIN - label_width - amount_width
    for label, amount, bold in rows:
        pdf.set_x(left)
        pdf.set_font(_FONT, "B" if bold else "", 10)
        pdf.cell(label_width, 6, label)
        pdf.cell(amount_width, 6, amount, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    if doc.paid_cents >= due:
        payment = "réglé"
    elif doc.paid_cents > 0:
        payment = "réglé en partie"
    else:
        payment = "non réglé"
    pdf.set_font(_FONT, "B", 10)
    pdf.cell(0, 5.5, f"Paiement : {payment}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=9)
    if doc.direct_payment:
        mention = (
            f"Tiers payant : la part assurance ({euros(doc.insurer_share_cents)}) est réglée "
            f"directement au médecin par {doc.insurer} ; le patient ne paie que la part patient."
        )
    else:
        mention = (
            "Le patient règle le total au médecin, puis demande à "
            f"{doc.insurer} le remboursement de la part assurance."
        )
    _text(pdf, _CONTENT_WIDTH, 4.5, mention)
    if not all(line.reimbursable for line in doc.lines):
        _text(pdf, _CONTENT_WIDTH, 4.5, "Les prestations marquées « non » ne sont pas remboursées.")


def _footer(pdf: FPDF) -> None:
    # On the last page only: one short line, so a long invoice needs no page template.
    pdf.set_auto_page_break(auto=False)
    pdf.set_xy(_MARGIN, 297 - _MARGIN - 4)
    pdf.set_font(_FONT, size=7)
    pdf.set_text_color(*_GREY)
    pdf.cell(
        0,
        4,
        "Émis via le Digital Health Network (DHN). Le code QR est signé : "
        "il se vérifie hors ligne avec les clés publiques de DHN.",
        align="C",
    )


def _wrap(pdf: FPDF, width: float, text: str) -> list[str]:
    """The lines of `text` in a cell `width` wide, in the current font.

    Most texts fit on one line, and measuring them is far cheaper than fpdf2's line
    breaking (the larger part of the render time when every text went through it).
    """
    text = typeface.printable(text)
    if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return [text]
    # output="LINES" returns the list of lines; fpdf2's annotation covers every output.
    lines = cast("list[str]", pdf.multi_cell(width, 1, text, dry_run=True, output="LINES"))
    return lines or [""]


def _text(pdf: FPDF, width: float, height: float, text: str) -> None:
    """`text` left-aligned at the current position, wrapped if needed; then a new line."""
    x = pdf.get_x()
    for line in _wrap(pdf, width, text):
        pdf.set_x(x)
        pdf.cell(width, height, line, new_x="LEFT", new_y="NEXT")
    pdf.set_x(pdf.l_margin)


def _french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class PrescriptionDocument:
    """Everything printed on a prescription, as the prescription service recorded it."""

    practice: Practice
    patient: Patient
    reference: str  # the prescription's id
    issued_on: date
    expires_on: date
    repeats: int
    items: tuple[Item, ...]
    qr: str  # the signed token, printed as the QR code


def prescription_pdf(doc: PrescriptionDocument) -> bytes:
    """The prescription as an A4 PDF document, its QR code for any pharmacy to scan."""
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    typeface.add_to(pdf, _prescription_texts(doc))
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_creation_date(datetime.combine(doc.issued_on, time(), tzinfo=LUXEMBOURG))
    pdf.set_title("Ordonnance")
    pdf.set_author(doc.practice.doctor_name)
    pdf.set_creator("DHN")
    pdf.set_lang("fr-LU")
    pdf.add_page()

    _qr_code(pdf, doc.qr, "Code signé, à présenter en pharmacie")
    _practice(pdf, doc.practice)
    _prescription_header(pdf, doc)
    _prescription_items(pdf, doc)
    _footer(pdf)
    return typeface.written(pdf)


def _prescription_header(pdf: FPDF, doc: PrescriptionDocument) -> None:
    pdf.set_xy(_MARGIN, _QR_Y + _QR_SIZE + 6)
    pdf.set_font(_FONT, "B", 20)
    pdf.cell(0, 9, "Ordonnance", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=8)
    pdf.set_text_color(*_GREY)
    pdf.cell(0, 5, f"Référence {doc.reference}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_BLACK)
    pdf.ln(3)
    half = _CONTENT_WIDTH / 2
    top = pdf.get_y()
    _field(pdf, "Patient", doc.patient.name or "-", half)
    _field(pdf, "Matricule", doc.patient.matricule, half)
    bottom = pdf.get_y()
    pdf.set_xy(_MARGIN + half, top)
    _field(pdf, "Date", _french_date(doc.issued_on), half, x=_MARGIN + half)
    _field(pdf, "Valable jusqu'au", _french_date(doc.expires_on), half, x=_MARGIN + half)
    pdf.set_xy(_MARGIN, max(bottom, pdf.get_y()) + 6)


def _prescription_items(pdf: FPDF, doc: PrescriptionDocument) -> None:
    for number, item in enumerate(doc.items, start=1):
        if pdf.get_y() + 20 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.set_font(_FONT, "B", 11)
        code = f" (code {item.medication.code})" if item.medication.code else ""
        _text(pdf, _CONTENT_WIDTH, 6, f"{number}. {item.medication.name}{code}")
        pdf.set_font(_FONT, size=10)
        packs = "1 boîte" if item.quantity == 1 else f"{item.quantity} boîtes"
        substitution = "substitution autorisée" if item.substitution_allowed else "non substituable"
        _text(pdf, _CONTENT_WIDTH, 5, f"{packs} - {substitution}")
        _text(pdf, _CONTENT_WIDTH, 5, f"Posologie : {item.dosage}")
        pdf.ln(3)

    pdf.set_font(_FONT, "B", 10)
    renewal = f"À renouveler {doc.repeats} fois" if doc.repeats else "Non renouvelable"
    pdf.cell(0, 5.5, f"{renewal}, jusqu'au {_french_date(doc.expires_on)}.", new_x="LMARGIN", new_y="NEXT")


def _prescription_texts(doc: PrescriptionDocument) -> list[str]:
    """What the prescription prints besides its fixed wording: the typeface's cut depends on it."""
    practice, patient = doc.practice, doc.patient
    fields = [practice.doctor_name, practice.specialty, practice.doctor_code, patient.matricule, patient.name]
    fields += [doc.reference]
    fields += [
        text for item in doc.items for text in (item.medication.name, item.medication.code, item.dosage)
    ]
    return [field for field in fields if field]
