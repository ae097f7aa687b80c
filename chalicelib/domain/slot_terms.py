"""The bounds of appointment slots that a request may use: a slot's length, and how many days a
listing covers and how far ahead it reaches.

Apart from the records of `domain.slots`, so that the blueprint declaring requests' shapes
loads no record class at a cold start.
"""

from __future__ import annotations

MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240
# A patient lists at most this many days at once, so one listing stays one bounded query.
MAX_RANGE_DAYS = 62
# Nobody books further ahead than this: opening hours a year on are not a promise.
MAX_DAYS_AHEAD = 366
