"""The words and bounds of a patient's record settings that a request may use: the record's
status, and the shortest reason that opens it in an emergency.

Apart from the access matrix of `domain.record_access`, so that the blueprint declaring
requests' shapes loads no record class at a cold start.
"""

from __future__ import annotations

from typing import Literal

RecordStatus = Literal["open", "closed"]
OPEN: RecordStatus = "open"
CLOSED: RecordStatus = "closed"
MIN_EMERGENCY_REASON = 10
