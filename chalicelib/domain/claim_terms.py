"""The words of a reimbursement claim that a request may use: its kinds, its channels, its
statuses and an insurer's outcomes.

Apart from the records of `domain.claims`, so that the blueprints declaring requests' shapes
load no record class at a cold start.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["reimbursement", "direct_payment"]
# How the claim reached the insurer: the patient's app, the printed invoice by post, or the
# practice itself at issuance (direct payment).
Channel = Literal["app", "paper", "practice"]
Status = Literal["pending", "reimbursed", "rejected", "withdrawn"]
Outcome = Literal["reimbursed", "rejected"]
