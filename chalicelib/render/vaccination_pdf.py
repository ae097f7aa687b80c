"""The vaccination booklet as A4 PDFs, in French: one page for an entry a doctor recorded (with
its signed QR code, the copy that goes to the patient's vault), and the whole booklet (every
entry, then the recommendations of the schedule).

`fpdf2` is imported inside the functions, like everything a PDF needs; the text is set in the
embedded Unicode typeface (`typeface`). A sheet's creation date is a day of its content, so
the same booklet gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Final, cast

from chalicelib.domain.calendar import LUXEMBOURG
from chalicelib.domain.vaccination_schedule import Recommendation
from chalicelib.domain.vaccinations import Vaccination
from chalicelib.render import qr, typeface

if TYPE_CHECKING:
    from fpdf import FPDF

TARGET_LABELS: Final = {
    "diphtheria": "diphtérie",
    "tetanus": "tétanos",
    "pertussis": "coqueluche",
    "polio": "poliomyélite",
    "hib": "Haemophilus influenzae b",
    "hepatitis_b": "hépatite B",
    "pneumococcal": "pneumocoque",
    "rotavirus": "rotavirus",
    "meningococcal_b": "méningocoque B",
    "meningococcal_acwy": "méningocoques ACWY",
    "measles": "rougeole",
    "mumps": "oreillons",
    "rubella": "rubéole",
    "varicella": "varicelle",
    "hpv": "papillomavirus (HPV)",
    "influenza": "grippe",
    "zoster": "zona",
    "rsv": "VRS",
    "covid19": "COVID-19",
}
STATUS_LABELS: Final = {
    "due": "à faire",
    "overdue": "en retard",
    "upcoming": "à venir",
    "complete": "complet",
}

_MARGIN: Final = 15.0
_WIDTH: Final = 210.0 - 2 * _MARGIN
_QR_SIZE: Final = 38.0
_LINE: Final = 5.0
_FONT: Final = typeface.FAMILY
_GREY: Final = (90, 90, 90)
_ENTRY_COLUMNS: Final = (("Date", 22.0), ("Vaccin", 62.0), ("Maladies", 62.0), ("Dose", 12.0), ("Lot", 22.0))
_ADVICE_COLUMNS: Final = (
    ("Maladie", 50.0),
    ("Dose", 12.0),
    ("Statut", 22.0),
    ("Dès le", 24.0),
    ("Pour le", 24.0),
)


@dataclass(frozen=True)
class Holder:
    """Whose booklet: the patient's name and matricule, as the registry has them."""

    name: str
    matricule: str


def targets_text(targets: Sequence[str]) -> str:
    return ", ".join(TARGET_LABELS.get(target, target) for target in targets)


def _start(title: str, author: str, day: date, texts: list[str]) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    typeface.add_to(pdf, texts)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_creation_date(datetime.combine(day, time(), tzinfo=LUXEMBOURG))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("DHN")
    pdf.set_lang("fr-LU")
    pdf.add_page()
    return pdf


def _french(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "-"


def _pair(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(_FONT, "B", 10)
    pdf.cell(40, 6, f"{label} :")
    pdf.set_font(_FONT, size=10)
    pdf.multi_cell(_WIDTH - 40 - _QR_SIZE, 6, typeface.printable(value), new_x="LMARGIN", new_y="NEXT")


def entry_pdf(holder: Holder, entry: Vaccination) -> bytes:
    """One page: the vaccination a doctor recorded, with its signed QR code."""
    from fpdf.enums import RenderStyle

    texts = [holder.name, holder.matricule, entry.vaccine_name, entry.vaccine_code, entry.recorded_by.name]
    texts += [entry.lot_number or ""]
    recorded = entry.recorded_at.astimezone(LUXEMBOURG).date()
    pdf = _start("Vaccination", entry.recorded_by.name, recorded, texts)
    modules = qr.matrix(entry.qr)
    size = _QR_SIZE / len(modules)
    left = _MARGIN + _WIDTH - _QR_SIZE
    for y, x, n in qr.dark_runs(modules):
        pdf.rect(left + x * size, _MARGIN + y * size, n * size, size, style=RenderStyle.F)
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.set_font(_FONT, "B", 18)
    pdf.cell(0, 9, "Carnet de vaccination", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=11)
    pdf.cell(0, 6, "Vaccination enregistrée par le médecin", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    _pair(pdf, "Patient", holder.name)
    _pair(pdf, "Matricule", holder.matricule)
    _pair(pdf, "Vaccin", f"{entry.vaccine_name} ({entry.vaccine_code})")
    _pair(pdf, "Maladies", targets_text(entry.targets))
    _pair(pdf, "Dose", str(entry.dose_number) if entry.dose_number else "-")
    _pair(pdf, "Date", _french(entry.given_on))
    _pair(pdf, "Lot", entry.lot_number or "-")
    _pair(pdf, "Médecin", f"{entry.recorded_by.name} ({entry.recorded_by.id})")
    _pair(pdf, "Enregistrée le", _french(recorded))
    pdf.ln(4)
    pdf.set_font(_FONT, size=8)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(
        _WIDTH,
        4,
        "Le code QR est signé par DHN : il nomme cette inscription et se vérifie hors ligne avec les "
        "clés publiques de DHN.",
    )
    return typeface.written(pdf)


def _row(pdf: FPDF, columns: Sequence[tuple[str, float]], values: Sequence[str], bold: bool = False) -> None:
    pdf.set_font(_FONT, "B" if bold else "", 9)
    # output="LINES" returns the list of lines; fpdf2's annotation covers every output.
    lines = [
        cast("list[str]", pdf.multi_cell(w, _LINE, v, dry_run=True, output="LINES"))
        for (_, w), v in zip(columns, values, strict=True)
    ]
    height = max(len(cell) for cell in lines) * _LINE
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    top, x = pdf.get_y(), _MARGIN
    for (_, width), value in zip(columns, values, strict=True):
        pdf.set_xy(x, top)
        pdf.multi_cell(width, _LINE, value)
        x += width
    pdf.set_xy(_MARGIN, top + height)
    pdf.line(_MARGIN, top + height, _MARGIN + _WIDTH, top + height)


def booklet_pdf(
    holder: Holder, entries: Sequence[Vaccination], advice: Sequence[Recommendation], version: str, on: date
) -> bytes:
    """The whole booklet on `on`: the entries (newest first), then the recommendations."""
    texts = [holder.name, holder.matricule, version]
    texts += [t for e in entries for t in (e.vaccine_name, e.vaccine_code, e.lot_number or "")]
    pdf = _start("Carnet de vaccination", "DHN", on, texts)
    pdf.set_font(_FONT, "B", 18)
    pdf.cell(0, 9, "Carnet de vaccination", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=10)
    pdf.cell(
        0,
        6,
        typeface.printable(f"{holder.name} - matricule {holder.matricule}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 6, f"Édité le {_french(on)}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(_FONT, "B", 12)
    pdf.cell(0, 7, "Vaccinations", new_x="LMARGIN", new_y="NEXT")
    _row(pdf, _ENTRY_COLUMNS, [name for name, _ in _ENTRY_COLUMNS], bold=True)
    for entry in entries:
        vaccine = entry.vaccine_name if entry.verified else f"{entry.vaccine_name} (déclarée, non vérifiée)"
        values = [_french(entry.given_on), vaccine, targets_text(entry.targets)]
        values += [str(entry.dose_number or "-"), entry.lot_number or "-"]
        _row(pdf, _ENTRY_COLUMNS, [typeface.printable(v) for v in values])
    if not entries:
        pdf.set_font(_FONT, size=9)
        pdf.cell(0, 6, "Aucune vaccination inscrite.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(_FONT, "B", 12)
    pdf.cell(0, 7, "Recommandations", new_x="LMARGIN", new_y="NEXT")
    _row(pdf, _ADVICE_COLUMNS, [name for name, _ in _ADVICE_COLUMNS], bold=True)
    for item in advice:
        values = [TARGET_LABELS.get(item.target, item.target), str(item.dose), STATUS_LABELS[item.status]]
        values += [_french(item.earliest_on), _french(item.due_on)]
        _row(pdf, _ADVICE_COLUMNS, values)
    pdf.ln(4)
    pdf.set_font(_FONT, size=8)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(
        _WIDTH,
        4,
        f"Recommandations du calendrier vaccinal luxembourgeois (version {version}), selon l'âge et les "
        "vaccinations inscrites ; votre médecin les adapte à votre situation.",
    )
    return typeface.written(pdf)
