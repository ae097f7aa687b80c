"""The words of a certificate of incapacity for work that a request may use: its kinds, its
statuses and its sheets.

Apart from the records of `domain.certificates`, so that the blueprints declaring requests'
shapes load no record class at a cold start.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["initial", "extension"]
Status = Literal["issued", "cancelled", "superseded"]
# The three sheets of the paper CIT: the patient's, the employer's and the insurer's.
Sheet = Literal["assure", "employeur", "caisse"]
