"""Valid matricules for any birth date: the check digits come from python-stdnum, as in the code."""

from __future__ import annotations

from stdnum import luhn, verhoeff


def matricule(birth: str, serial: str = "001") -> str:
    """A valid matricule for `birth` (`YYYYMMDD`) and a three-digit serial."""
    body = birth + serial
    return body + luhn.calc_check_digit(body) + verhoeff.calc_check_digit(body)
