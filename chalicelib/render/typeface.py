"""The typeface of every PDF: DejaVu Sans Condensed, regular and bold, embedded as Unicode, so
that `Дмитрий Παπαδόπουλος Łukasz Nguyễn` prints as written.

The files (`fonts/`, beside this module, with DejaVu's licence in `fonts/LICENSE`) are DejaVu
2.37 as Debian's fonts-dejavu-core ships it, cut down with fontTools in three cuts of each style:

- the full cut (107 KB): Latin with all its extensions (Vietnamese included), spacing
  modifiers and combining marks, Greek, Cyrillic, general punctuation and currency signs;
- the Latin cut (34 KB): what the languages of the European Union that write in Latin
  letters need (Latin-1, Latin Extended-A, the Romanian comma letters), typographic
  punctuation and the euro sign;
- the core cut (25 KB): Latin-1 (French, German, Luxembourgish, Portuguese…), the dashes,
  quotes, bullet and ellipsis, and the euro sign: what nearly every invoice prints.

A document takes the smallest cut that has every character it prints; all are the same
drawings, so a name looks the same in any. The reason is size: a document embeds its cut
whole (`font_embedding` tells why): both styles take about 25 KB compressed in the core
cut, 34 KB in the Latin cut and 120 KB in the full cut. The cuts were made with, for each
style (the Latin cut's unicodes here):

    pyftsubset DejaVuSansCondensed.ttf --output-file=fonts/DejaVuSansCondensed-Latin.ttf \\
        --unicodes=U+0020-007E,U+00A0-017F,U+0218-021B,U+2010-2027,U+202F,U+2030-203A,U+20AC \\
        --layout-features= --drop-tables+=GSUB,GPOS,GDEF,MATH,kern,gasp --no-hinting \\
        --glyph-names --name-IDs=0,1,2,3,4,5,6,13,14

for the core cut `--unicodes=U+0020-007E,U+00A0-00FF,U+2013-2014,U+2018-201E,U+2022,U+2026,
U+20AC`, and for the full cut `--unicodes=U+0020-007E,U+00A0-024F,U+02B0-036F,U+0370-04FF,
U+1E00-1EFF,U+2000-206F,U+20A0-20CF`. fpdf2 uses neither layout tables nor hinting here, and
glyph names spare fontTools making them up at every parse. Condensed rather than the regular
width: DejaVu Sans is 12 to 20 % wider than the Helvetica the page was laid out for, and
overflowed the QR caption and the footer; the condensed design is within 2 % of it.

Parsing a font is the slow part of fpdf2's add_font() (8 ms a style), so each cut is parsed
once per process, under a lock, and prepared for embedding then (`font_embedding.prepare`).
Each document gets a copy of each style that shares what stays read-only (character map,
widths, glyph ids, the prepared embedding) and has its own of what drawing and writing a
document change: the font descriptor, the map of the characters it used. That reaches into
fpdf2's TTFFont, which requirements.txt pins (2.8.9); tests/unit/test_render.py checks the
text and bytes of the result, including for documents drawn at once on several threads.

`fpdf2`, and `font_embedding` which builds on it, are imported inside the functions, like
everything a PDF needs.
"""

from __future__ import annotations

import copy
import functools
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

    from chalicelib.render.font_embedding import Embedding

FAMILY: Final = "dejavu"
# Each cut's files by style, the smallest first.
_CUTS: Final = (
    {"": "DejaVuSansCondensed-Core.ttf", "B": "DejaVuSansCondensed-Bold-Core.ttf"},
    {"": "DejaVuSansCondensed-Latin.ttf", "B": "DejaVuSansCondensed-Bold-Latin.ttf"},
    {"": "DejaVuSansCondensed.ttf", "B": "DejaVuSansCondensed-Bold.ttf"},
)
_FULL: Final = len(_CUTS) - 1
_DIRECTORY: Final = Path(__file__).parent / "fonts"
_PARSING: Final = threading.Lock()


@dataclass(frozen=True)
class _Style:
    font: TTFFont  # as add_font() leaves it: only ever copied, never drawn with or written
    embedding: Embedding  # what every document of the cut writes of it


@dataclass(frozen=True)
class _Cut:
    styles: tuple[_Style, ...]  # regular, then bold
    covered: frozenset[int]  # the code points that every style has a glyph for


def add_to(pdf: FPDF, texts: Iterable[str]) -> None:
    """Make FAMILY, regular ("") and bold ("B"), available to `pdf.set_font()`, in the
    smallest cut that shows every one of `texts` as `printable` gives it (the document's
    own texts: names, labels; the fixed wording is in every cut). Write the document with
    `written()`."""
    from chalicelib.render.font_embedding import CodePoints

    needed = {ord(char) for text in texts for char in printable(text)}
    for index in range(len(_CUTS)):  # the full cut, last, shows whatever printable() gives
        cut = _cut(index)
        if needed <= cut.covered:
            break
    for style in cut.styles:
        font = copy.copy(style.font)
        font.i = len(pdf.fonts) + 1
        font.desc = copy.copy(style.font.desc)  # the PDF object that writing a document numbers
        font.cw = style.font.cw.copy()  # a defaultdict: a lookup may add to it
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = CodePoints(font, style.embedding)
        pdf.fonts[font.fontkey] = font


def written(pdf: FPDF) -> bytes:
    """The PDF of a document whose fonts `add_to()` gave, each embedded as it was prepared."""
    from chalicelib.render.font_embedding import Producer

    return bytes(pdf.output(output_producer_class=Producer))


def printable(text: str) -> str:
    """`text` as the typeface shows it: composed (NFC), so "Nguyễn" typed with combining
    marks prints as one letter; a character that no cut has becomes its compatibility form
    where the font has that ("ﬁ" → "fi"), else "?", rather than an empty box."""
    text = unicodedata.normalize("NFC", text)
    for index in range(len(_CUTS)):  # a cut is parsed only for a text the smaller ones lack
        covered = _cut(index).covered
        if all(ord(char) in covered for char in text):
            return text
    kept: list[str] = []
    for char in text:
        if ord(char) in covered:
            kept.append(char)
            continue
        fallback = unicodedata.normalize("NFKD", char)
        kept.append(fallback if all(ord(c) in covered for c in fallback) else "?")
    return "".join(kept)


def _cut(index: int) -> _Cut:
    # One parse of each cut even when the first documents are drawn at once on threads.
    with _PARSING:
        return _parse(index)


@functools.cache
def _parse(index: int) -> _Cut:
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

    from chalicelib.render.font_embedding import prepare

    scratch = FPDF()
    styles: list[_Style] = []
    for style, name in _CUTS[index].items():
        path = _DIRECTORY / name
        scratch.add_font(FAMILY, style, path)
        font = scratch.fonts[FAMILY + style]
        assert isinstance(font, TTFFont)
        font.close()  # the file handle: the embedding is made from the file's bytes
        styles.append(_Style(font, prepare(font, path.read_bytes())))
    covered = functools.reduce(frozenset.intersection, (frozenset(s.font.cmap) for s in styles))
    return _Cut(tuple(styles), covered)
