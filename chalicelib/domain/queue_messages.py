"""A message for one of DHN's queues, as a service writes it and the queue store sends it."""

from __future__ import annotations

from dataclasses import dataclass

# SQS holds a message back for at most fifteen minutes; a later retry waits elsewhere.
MAX_DELAY_SECONDS = 900


@dataclass(frozen=True)
class Message:
    body: str
    # Seconds before the message is handed to its consumer, at most MAX_DELAY_SECONDS.
    delay_seconds: int = 0
