"""Answers of the sessions routes: a new token."""

from __future__ import annotations

from chalicelib.api.answers.onboarding import Token

__all__ = ["Token"]
