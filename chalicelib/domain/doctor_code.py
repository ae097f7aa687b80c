"""The CNS provider code ("code médecin"): 8 digits, shown `NNNNNN-NN`.

The display form is the canonical one: it is what the CNS prints and what the contract
returns, so storing it as such means a code read back is shown as it was issued.
"""

from __future__ import annotations

import re

# ASCII digits only, with or without the dash; surrounding whitespace is stripped first.
_CODE = re.compile(r"([0-9]{6})-?([0-9]{2})")


def normalize(raw: str) -> str:
    """The display form `123456-78` of a provider code typed with or without the dash."""
    found = _CODE.fullmatch(raw.strip())
    if found is None:
        raise ValueError("must be 8 digits, as NNNNNN-NN")
    return f"{found[1]}-{found[2]}"
