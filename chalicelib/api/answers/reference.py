"""Answers of the reference routes: the contract itself."""

from __future__ import annotations

from pydantic import ConfigDict

from chalicelib.api.answers.common import Answer


class OpenApiDocument(Answer):
    """An OpenAPI 3.1 document: this contract."""

    model_config = ConfigDict(extra="allow", defer_build=True, frozen=True)

    openapi: str
