"""The three A4 sheets of a certificate of incapacity for work, in French, like the paper CIT:
the patient's (`assure`), the employer's (`employeur`) and the insurer's (`caisse`).

Only the insurer's sheet prints the diagnosis: the input carries one only for that sheet
(`CertificateSheet` refuses any other combination), so no other sheet can print it. The
employer's sheet prints neither the matricule nor whether an accident caused the incapacity.
`fpdf2` is imported inside `certificate_pdf()` (cold start); the same sheet gives the same
bytes, dated the day of issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from chalicelib.domain.calendar import LUXEMBOURG
from chalicelib.domain.certificate_terms import Sheet
from chalicelib.render import qr, typeface
from chalicelib.render.pdf import INSURER_NAMES

SHEET_TITLES: Final[dict[Sheet, str]] = {
    "assure": "Volet destiné à l'assuré",
    "employeur": "Volet destiné à l'employeur",
    "caisse": "Volet destiné à la caisse de maladie",
}
KIND_LABELS: Final = {"initial": "Certificat initial", "extension": "Prolongation"}
STATUS_LABELS: Final = {
    "issued": "en vigueur",
    "cancelled": "ANNULÉ par le médecin",
    "superseded": "REMPLACÉ par un certificat rectificatif",
}

_MARGIN: Final = 15.0
_PAGE_WIDTH: Final = 210.0
_QR_SIZE: Final = 38.0
_QR_X: Final = _PAGE_WIDTH - _MARGIN - _QR_SIZE
_QR_Y: Final = 12.0
_LABEL_WIDTH: Final = 62.0
_FONT: Final = typeface.FAMILY
_GREY: Final = (90, 90, 90)
_BLACK: Final = (0, 0, 0)


@dataclass(frozen=True)
class CertificateSheet:
    sheet: Sheet
    practice_name: str
    doctor_code: str  # as displayed: 123456-78
    patient_name: str
    # None on the employer's sheet, which never prints it.
    patient_matricule: str | None
    insurer: str
    kind: str
    start: date
    end: date
    outings_allowed: bool
    # None on the employer's sheet.
    accident: bool | None
    # On the insurer's sheet only.
    diagnosis_code: str | None
    issued_on: date
    status: str
    qr: str

    def __post_init__(self) -> None:
        if (self.diagnosis_code is not None) != (self.sheet == "caisse"):
            raise ValueError("the diagnosis is printed on the insurer's sheet, and only there")
        private = (self.patient_matricule, self.accident)
        if self.sheet == "employeur" and private != (None, None):
            raise ValueError("the employer's sheet prints neither the matricule nor the accident")
        if self.insurer not in INSURER_NAMES or self.kind not in KIND_LABELS:
            raise ValueError("unknown insurer or kind")
        if self.status not in STATUS_LABELS:
            raise ValueError(f"unknown certificate status {self.status!r}")


def certificate_pdf(doc: CertificateSheet) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import RenderStyle

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    typeface.add_to(pdf, [doc.practice_name, doc.patient_name])
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=False)
    pdf.set_creation_date(datetime.combine(doc.issued_on, time(), tzinfo=LUXEMBOURG))
    pdf.set_title(f"Certificat d'incapacité de travail - {SHEET_TITLES[doc.sheet]}")
    pdf.set_author(doc.practice_name)
    pdf.set_creator("DHN")
    pdf.set_lang("fr-LU")
    pdf.add_page()

    modules = qr.matrix(doc.qr)
    module = _QR_SIZE / len(modules)
    pdf.set_fill_color(*_BLACK)
    for y, x, n in qr.dark_runs(modules):
        pdf.rect(_QR_X + x * module, _QR_Y + y * module, n * module, module, style=RenderStyle.F)

    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.set_font(_FONT, "B", 13)
    pdf.cell(_QR_X - _MARGIN - 5, 6, typeface.printable(doc.practice_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=10)
    pdf.cell(0, 5, f"Code médecin : {doc.doctor_code}", new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(_MARGIN, _QR_Y + _QR_SIZE + 6)
    pdf.set_font(_FONT, "B", 18)
    pdf.cell(0, 9, "Certificat d'incapacité de travail", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=11)
    pdf.cell(0, 6, SHEET_TITLES[doc.sheet], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)

    for label, value in _rows(doc):
        pdf.set_font(_FONT, "B", 10)
        pdf.cell(_LABEL_WIDTH, 6.5, f"{label} :")
        pdf.set_font(_FONT, size=10)
        pdf.cell(0, 6.5, value, new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(_MARGIN, 297 - _MARGIN - 4)
    pdf.set_font(_FONT, size=7)
    pdf.set_text_color(*_GREY)
    pdf.cell(
        0,
        4,
        "Émis via le Digital Health Network (DHN). Le code QR est signé : il atteste les dates "
        "d'incapacité et se vérifie hors ligne avec les clés publiques de DHN.",
        align="C",
    )
    return typeface.written(pdf)


def _rows(doc: CertificateSheet) -> list[tuple[str, str]]:
    rows = [("Assuré", typeface.printable(doc.patient_name))]
    if doc.patient_matricule is not None:
        rows.append(("Matricule", doc.patient_matricule))
    rows += [
        ("Caisse de maladie", f"{doc.insurer} ({INSURER_NAMES[doc.insurer]})"),
        ("Nature", KIND_LABELS[doc.kind]),
        ("Incapacité de travail", f"du {_french(doc.start)} au {_french(doc.end)} inclus"),
        ("Sorties autorisées", "oui" if doc.outings_allowed else "non"),
    ]
    if doc.accident is not None:
        rows.append(("Suite à un accident", "oui" if doc.accident else "non"))
    if doc.diagnosis_code is not None:
        rows.append(("Diagnostic (CIM-10)", doc.diagnosis_code))
    rows += [("Date d'établissement", _french(doc.issued_on)), ("Statut", STATUS_LABELS[doc.status])]
    return rows


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")
