"""Who may call: the roles, which of them enrol devices or rotate their own tokens, and how
long each one's token lasts.

Apart from the records of `domain.identity`, so that the blueprints, which name the roles of
every route, load no record class at a cold start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

Role = Literal["operator", "doctor", "assistant", "patient", "insurer", "pharmacist"]

DEVICE_ROLES: frozenset[Role] = frozenset({"doctor", "assistant", "pharmacist"})

# How long a token works after it is issued or rotated: a patient's login is a working day,
# an operator's a shift; machines (insurers, practice PCs) rotate their own before expiry.
LIFETIMES: dict[Role, timedelta] = {
    "patient": timedelta(hours=12),
    "operator": timedelta(hours=8),
    "insurer": timedelta(days=30),
    "doctor": timedelta(days=400),
    "assistant": timedelta(days=400),
    "pharmacist": timedelta(days=400),
}

# The machines that swap their own token for a new one (`POST /sessions/rotate`).
ROTATING_ROLES: frozenset[Role] = DEVICE_ROLES | {"insurer"}

# The tokens an operator revokes by token_id. A practice device's token goes with its device,
# which its practice revokes, so the list of devices never shows a device that cannot call; a
# pharmacy has no list of devices, so the operator revokes a lost pharmacy PC's token.
REVOCABLE_BY_OPERATOR: frozenset[Role] = frozenset({"patient", "insurer", "operator", "pharmacist"})
