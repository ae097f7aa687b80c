"""The CNS provider code: 8 digits, shown NNNNNN-NN."""

from __future__ import annotations

import pytest

from chalicelib.domain import doctor_code

# `str.isdigit()` accepts fullwidth digits; a provider code must be ASCII.
FULLWIDTH = "".join(chr(0xFF10 + int(digit)) for digit in "12345678")


@pytest.mark.parametrize("raw", ["123456-78", "12345678", "  123456-78 ", "\t12345678\n"])
def test_with_or_without_dash(raw: str) -> None:
    assert doctor_code.normalize(raw) == "123456-78"


def test_leading_zeros_are_kept() -> None:
    assert doctor_code.normalize("00012300") == "000123-00"


@pytest.mark.parametrize(
    "raw",
    ["", "1234567", "123456789", "12345-678", "123456--78", "123 456-78", "12345a-78", FULLWIDTH],
)
def test_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^must be 8 digits, as NNNNNN-NN$"):
        doctor_code.normalize(raw)
