"""Answers of the sessions routes: a new token."""

from __future__ import annotations

from chalicelib.api.answers.common import Token

__all__ = ["Token"]
