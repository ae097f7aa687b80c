"""The diseases a vaccine targets, the one list a request, an entry and the schedule use.

Apart from the records of `domain.vaccinations`, so that the blueprint declaring requests'
shapes loads no record class at a cold start.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# The diseases a vaccine targets: the contract's list, which the schedule file repeats.
Target = Literal[
    "diphtheria",
    "tetanus",
    "pertussis",
    "polio",
    "hib",
    "hepatitis_b",
    "pneumococcal",
    "rotavirus",
    "meningococcal_b",
    "meningococcal_acwy",
    "measles",
    "mumps",
    "rubella",
    "varicella",
    "hpv",
    "influenza",
    "zoster",
    "rsv",
    "covid19",
]
TARGETS: Final[tuple[str, ...]] = get_args(Target)
