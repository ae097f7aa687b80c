"""How the typeface's fonts go into a PDF: each cut whole, as prepared once per process.

fpdf2 subsets every TrueType font into every document it writes: fontTools prunes and
recompiles the font, then fpdf2 builds a 128 KB glyph map and compresses both, about 4 ms a
style, whatever the document. The cuts of `typeface` are already small (12 KB compressed for
the core cut), so a document embeds its cut whole instead, and then everything fpdf2 would
write about the font is the same in every document of that cut: the compressed font program,
the map from character codes to glyphs, the widths and the map back to Unicode. `prepare()`
makes them once per process; `Producer`, which `typeface.written()` gives to `FPDF.output()`,
writes them into each document. A character's code is its Unicode code point (`CodePoints`),
so one map of codes serves every document.

This reaches into fpdf2's internals, which requirements.txt pins (2.8.9): `Producer` replaces
`OutputProducer._add_fonts()` and writes the same objects that it writes for a TrueType font
(fpdf/output.py), only prepared; `CodePoints` replaces `SubsetMap.pick_glyph()`, which hands
out the codes, and refuses fpdf2's own subsetting, which would write its fonts empty.
tests/unit/test_render.py reads the text back with pdfium in every script, scans the QR code,
and checks that drawing a document never runs fontTools' subsetter.

Imported inside the functions that draw a PDF, like fpdf2 itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fpdf.fonts import Glyph, SubsetMap, TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont, _build_cmap_blocks, _cid_font_widths
from fpdf.syntax import Name, PDFArray, PDFContentStream

if TYPE_CHECKING:
    from fpdf.output import PDFExtGState, PDFType3Font, PDFXObject
    from fpdf.pattern import Pattern

# The ToUnicode CMap that fpdf2 writes for a TrueType font (fpdf/output.py), around its mappings.
_UNICODE_CMAP = (
    "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
    "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
    "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    "{blocks}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
)


@dataclass(frozen=True)
class Embedding:
    """What a PDF says of one style of one cut, compressed where it is a stream."""

    name: str  # the PDF's BaseFont
    program: bytes  # the font file
    program_length: int  # its length before compression (the stream's /Length1)
    code_to_glyph: bytes  # /CIDToGIDMap: the glyph id of code n at bytes 2n and 2n + 1
    to_unicode: bytes  # the CMap that maps each code back to its character
    widths: str  # /W, by code


def prepare(font: TTFFont, data: bytes) -> Embedding:
    """The embedding of `font`, as `add_font()` parsed it from the file `data`. A code is two
    bytes (Identity-H), so every character of the cut must be below U+10000 (else ValueError)."""
    code_points = sorted(font.glyph_ids)
    if code_points[-1] > 0xFFFF:
        raise ValueError(f"{font.name} has characters beyond U+FFFF, which a code of two bytes misses")
    glyphs = bytearray(2 * 0x10000)
    for code in code_points:
        glyphs[2 * code : 2 * code + 2] = font.glyph_ids[code].to_bytes(2, "big")
    mappings = [f"<{code:04X}> <{code:04X}>\n" for code in code_points]
    to_unicode = _UNICODE_CMAP.format(blocks=_build_cmap_blocks(mappings, "bfchar"))
    return Embedding(
        # The subset tag (six letters and a plus) that fpdf2 gives: each cut is a subset of DejaVu.
        name=f"MPDFAA+{font.name}",
        program=zlib.compress(data),
        program_length=len(data),
        code_to_glyph=zlib.compress(glyphs),
        to_unicode=zlib.compress(to_unicode.encode("latin-1")),
        widths=_cid_font_widths({code: int(font.cw[code]) for code in code_points}),
    )


class CodePoints(SubsetMap):
    """A document's font map: each character's code is its code point."""

    def __init__(self, font: TTFFont, embedding: Embedding) -> None:
        super().__init__(font)
        self.embedding = embedding

    def pick_glyph(self, glyph: Glyph | None) -> int | None:
        if glyph is None or not isinstance(glyph.unicode, tuple) or len(glyph.unicode) != 1:
            return None
        return glyph.unicode[0]

    def get_all_glyph_names(self) -> Sequence[str]:
        # Only fpdf2's own `_add_fonts()` asks, to subset the font: a document written
        # without `Producer`, whose fonts would come out without their characters.
        raise TypeError("write a document of the typeface with typeface.written(), not FPDF.output()")


class _Compressed(PDFContentStream):
    """A stream whose content is compressed already."""

    def __init__(self, compressed: bytes) -> None:
        super().__init__(compressed)
        self.filter = Name("FlateDecode")


class _FontProgram(_Compressed):
    def __init__(self, compressed: bytes, length: int) -> None:
        super().__init__(compressed)
        self.length1 = length


class Producer(OutputProducer):
    """fpdf2's writer of a PDF, for documents whose fonts are the typeface's (`add_to()`)."""

    def _add_fonts(
        self,
        image_objects_per_index: dict[int, PDFXObject],  # noqa: ARG002 (fpdf2's signature: for Type3 fonts)
        gfxstate_objs_per_name: dict[str, PDFExtGState],  # noqa: ARG002
        pattern_objs_per_name: dict[str, Pattern],  # noqa: ARG002
    ) -> dict[int, PDFFont | PDFType3Font]:
        # The objects, and their order, of fpdf2's own `_add_fonts()` for a TrueType font.
        fonts: dict[int, PDFFont | PDFType3Font] = {}
        for font in sorted(self.fpdf.fonts.values(), key=lambda font: font.i):
            assert isinstance(font, TTFFont) and isinstance(font.subset, CodePoints)
            embedding = font.subset.embedding
            composite = PDFFont(subtype="Type0", base_font=embedding.name, encoding="Identity-H")
            self._add_pdf_obj(composite, "fonts")
            fonts[font.i] = composite
            cid_font = PDFFont(
                subtype="CIDFontType2",
                base_font=embedding.name,
                d_w=font.desc.missing_width,
                w=embedding.widths,
            )
            self._add_pdf_obj(cid_font, "fonts")
            composite.descendant_fonts = PDFArray([cid_font])
            composite.to_unicode = _Compressed(embedding.to_unicode)
            self._add_pdf_obj(composite.to_unicode, "fonts")
            cid_font.c_i_d_system_info = CIDSystemInfo()
            self._add_pdf_obj(cid_font.c_i_d_system_info, "fonts")
            descriptor = font.desc  # the document's own copy (`add_to()`)
            descriptor.font_name = Name(embedding.name)
            self._add_pdf_obj(descriptor, "fonts")
            cid_font.font_descriptor = descriptor
            cid_font.c_i_d_to_g_i_d_map = _Compressed(embedding.code_to_glyph)
            self._add_pdf_obj(cid_font.c_i_d_to_g_i_d_map, "fonts")
            program = _FontProgram(embedding.program, embedding.program_length)
            self._add_pdf_obj(program, "fonts")
            descriptor.font_file2 = program  # type: ignore[attr-defined]  # as fpdf2 sets it: no slot declares it
            # fpdf2's caches of picked glyphs hold every document drawn: it empties them too.
            font.subset.pick.cache_clear()
            font.subset.get_glyph.cache_clear()
        return fonts
