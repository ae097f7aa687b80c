"""The public health insurers ("caisses de maladie") a patient of DHN may belong to.

CNS (private sector), CMFEP (civil servants of the State), CMFEC (civil servants of the
communes), EMCFL (staff of the national railway company) and RCAM (the EU institutions'
joint sickness insurance scheme, which has its own reimbursement rate).
"""

from __future__ import annotations

from typing import Literal, get_args

Insurer = Literal["CNS", "CMFEP", "CMFEC", "EMCFL", "RCAM"]

# Derived from the Literal so that the type and the runtime list can never drift apart.
INSURERS: tuple[Insurer, ...] = get_args(Insurer)
