"""Endpoint signing secrets: made here, shown to their owner once, stored sealed.

The sender must sign with the secret itself, so it cannot be stored hashed like a bearer
token. It is sealed with AES-256-GCM under `DHN_WEBHOOK_KEY` (base64url of 32 bytes; in AWS
the CDK app fills it from Secrets Manager), bound to its endpoint id, so a copied table
yields nothing and a sealed secret moved to another endpoint does not open. The same seal
keeps the answers saved for idempotent replay, which may carry a secret or a bearer token.
"""

from __future__ import annotations

import base64
import functools
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ENV = "DHN_WEBHOOK_KEY"
KEY_SECRET_ARN_ENV = "DHN_WEBHOOK_KEY_SECRET_ARN"  # noqa: S105 (a variable's name, not a secret)
PREFIX = "whsec_"
_NONCE_SIZE = 12


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def generate_key() -> str:
    """A new value for `DHN_WEBHOOK_KEY` (the local stack and the tests)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


@functools.cache
def _cipher() -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from chalicelib.core import config

    text, variable = config.secret(KEY_ENV, KEY_SECRET_ARN_ENV)
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        key = b""
    if len(key) != 32:
        # The message names the variable only: its value is a secret.
        raise RuntimeError(f"{variable} must hold 32 bytes in base64url")
    return AESGCM(key)


def seal(secret: str, bound_to: str) -> str:
    """`secret` encrypted; it opens only with the same `bound_to` (an endpoint id, a key)."""
    nonce = secrets.token_bytes(_NONCE_SIZE)
    sealed = _cipher().encrypt(nonce, secret.encode(), bound_to.encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(sealed: str, bound_to: str) -> str:
    raw = base64.b64decode(sealed)
    return _cipher().decrypt(raw[:_NONCE_SIZE], raw[_NONCE_SIZE:], bound_to.encode()).decode()


def reset() -> None:
    """Forget the cached key, so the next call reads the environment again."""
    _cipher.cache_clear()
