"""The invoice's QR code: one matrix, drawn as SVG here and as PDF vectors in `pdf`.

The matrix INCLUDES the quiet zone (4 light modules on every side), so any drawing of it
as-is scans, whatever the background around it.

`qrcode` is imported inside `matrix()`: it costs about 40 ms of import, which a cold
start must not pay unless it draws a QR code.
"""

from __future__ import annotations

from typing import Final

MAX_VERSION: Final = 10  # API contract: the QR code fits version 10 or less at level M
QUIET_ZONE: Final = 4  # modules; the minimum ISO/IEC 18004 asks for
# A fixed mask instead of qrcode's search over the eight: the search scores each mask for
# long runs and finder-like blocks, which matter for low-entropy data, but our tokens are
# mostly signature bytes and look random whatever the mask; the search costs 6.5 of the
# 12 ms that a PDF may take. Mask 2 had the lowest average penalty over 600 real tokens
# (COSE_Sign1 envelopes, version 8).
MASK_PATTERN: Final = 2

Matrix = list[list[bool]]


def matrix(text: str) -> Matrix:
    """The modules of `text` (True = dark), quiet zone included, at error correction M
    and the smallest version that holds it; ValueError if that is above version 10."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.exceptions import DataOverflowError

    code = qrcode.QRCode(
        version=None,
        error_correction=ERROR_CORRECT_M,
        border=QUIET_ZONE,
        mask_pattern=MASK_PATTERN,
    )
    code.add_data(text)  # qrcode picks the densest modes (alphanumeric for our tokens)
    try:
        fits = code.best_fit() <= MAX_VERSION
    except DataOverflowError:  # more than version 40 holds
        fits = False
    if not fits:  # checked before make(): building a large code would be wasted work
        raise ValueError(f"QR text does not fit version {MAX_VERSION} at error correction M")
    code.make(fit=False)
    # A copy of plain bools: get_matrix() shares its border rows between rows.
    return [[bool(module) for module in row] for row in code.get_matrix()]


def dark_runs(modules: Matrix) -> list[tuple[int, int, int]]:
    """(row, column, length) of every horizontal run of dark modules.

    Drawing one rectangle per run instead of per module makes about three times fewer
    shapes, which keeps both the SVG and the PDF small and fast to write and to rasterise.
    """
    runs: list[tuple[int, int, int]] = []
    for y, row in enumerate(modules):
        start = -1
        for x, dark in enumerate(row):
            if dark and start < 0:
                start = x
            elif not dark and start >= 0:
                runs.append((y, start, x - start))
                start = -1
        if start >= 0:
            runs.append((y, start, len(row) - start))
    return runs


def svg(text: str) -> bytes:
    """An `image/svg+xml` document of the QR code of `text`.

    One unit per module in the viewBox and no fixed width or height, so it scales to
    whatever box shows it; crispEdges keeps the modules from blurring into each other.
    """
    modules = matrix(text)
    size = len(modules)
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for y, x, n in dark_runs(modules))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        'shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/>'
        "</svg>\n"
    ).encode("ascii")
