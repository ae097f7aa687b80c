"""Structured JSON logs (Powertools) with the request id as correlation id.

Log keys, never values that identify a person: no matricule, name, token or secret.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


@functools.cache
def logger() -> Logger:
    # Created on first use: importing Powertools' logging costs cold-start time.
    from aws_lambda_powertools import Logger

    return Logger(service="dhn")
