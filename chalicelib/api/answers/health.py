"""Answers of the public routes: liveness and the keys that verify QR codes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import Answer


class Health(Answer):
    status: Literal["ok"]


class Jwk(Answer):
    """An Ed25519 public key as an RFC 8037 OKP JSON Web Key."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: Annotated[str, Field(description="base64url of the raw public key")]
    kid: Annotated[str, Field(description="The key id the signed token names in its protected header.")]
    use: Literal["sig"]
    alg: Literal["EdDSA"]


class Jwks(Answer):
    """A JSON Web Key Set: every key still valid for verification, the active one first."""

    keys: Annotated[list[Jwk], Field(min_length=1)]
