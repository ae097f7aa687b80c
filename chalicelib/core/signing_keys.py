"""The key material of the signed tokens (`domain.signed_token`), read from configuration.

- `DHN_QR_SIGNING_KEY_SECRET_ARN`: in AWS, the Secrets Manager secret that holds the signing
  key's seed. It is read on first use and again at most every
  `config.SECRET_MAX_AGE_SECONDS`, so a rotation reaches every warm container without a
  deployment.
- `DHN_QR_SIGNING_KEY`: base64url of the 32-byte Ed25519 seed that signs new tokens, where
  no secret is named (the local stack and the tests).
- `DHN_QR_NEXT_KEYS`: comma-separated base64url raw 32-byte public keys that will sign
  next. They are published and accepted before they sign, so that a verifier holding a
  copy of the JWKS already knows the key of the first token it signs.
- `DHN_QR_RETIRED_KEYS`: the same, for earlier signing keys. A rotation moves the old
  public key here, so every document signed before the rotation still verifies; a key
  leaves this list only when its documents may no longer be honoured.

The JWKS lists the active key, then the next ones, then the retired ones, each once. A
rotation, in that order:

1. make a seed (`generate_seed()`); deploy with its public key (`public_key(seed)`) in
   `DHN_QR_NEXT_KEYS` and the active key's in `DHN_QR_RETIRED_KEYS` (listing the active key
   there is harmless);
2. once verifiers have had time to fetch the JWKS again, write the new seed into the secret:
   within `config.SECRET_MAX_AGE_SECONDS` every container signs with it, and tokens of the
   old key and of the new one both verify all along;
3. at the next deployment, drop the new key from `DHN_QR_NEXT_KEYS`: it is the active one.

Nothing is read or parsed at import time (cold start): keys are derived on first use and
cached for as long as the configuration stays the same; `reset()` forgets them. `cryptography`
is imported inside the functions for the same reason.
"""

from __future__ import annotations

import base64
import functools
import os
import string
from typing import TYPE_CHECKING

from chalicelib.core import config
from chalicelib.domain import signed_token

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

SIGNING_KEY_ENV = "DHN_QR_SIGNING_KEY"
SECRET_ARN_ENV = "DHN_QR_SIGNING_KEY_SECRET_ARN"  # noqa: S105 (a variable's name, not a secret)
NEXT_KEYS_ENV = "DHN_QR_NEXT_KEYS"
RETIRED_KEYS_ENV = "DHN_QR_RETIRED_KEYS"
_KEY_SIZE = 32
_BASE64URL = frozenset(string.ascii_letters + string.digits + "-_")


def signing_key() -> Ed25519PrivateKey:
    """The active key that signs new tokens.

    There is no fallback to a generated key: a production stack started without its key
    would print invoices that no insurer can verify after the next cold start.
    """
    return _signing_key(*_seed())


def verification_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a genuine token may be signed with, by key id, in the JWKS's order."""
    return _verification_keys(*_settings())


def jwks() -> dict[str, list[dict[str, str]]]:
    """The body of `GET /.well-known/jwks.json`."""
    return _jwks(*_settings())


def _seed() -> tuple[str, str]:
    """The active seed and the name of the setting it came from (for error messages)."""
    return config.secret(SIGNING_KEY_ENV, SECRET_ARN_ENV)


def _settings() -> tuple[str, str, str, str]:
    """What the published keys depend on: the seed, its source, the next and retired keys."""
    return (*_seed(), os.environ.get(NEXT_KEYS_ENV, ""), os.environ.get(RETIRED_KEYS_ENV, ""))


@functools.lru_cache(maxsize=4)
def _signing_key(seed: str, source: str) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not seed:
        raise RuntimeError(
            f"{SIGNING_KEY_ENV} is not set: it must hold the base64url Ed25519 seed that "
            f"signs the invoices' QR codes (or {SECRET_ARN_ENV} the secret that holds it)"
        )
    return Ed25519PrivateKey.from_private_bytes(_key_bytes(seed, source))


@functools.lru_cache(maxsize=4)
def _verification_keys(
    seed: str, source: str, next_keys: str, retired_keys: str
) -> dict[str, Ed25519PublicKey]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    active = _signing_key(seed, source).public_key()
    keys = {signed_token.key_id(active): active}
    for listed, variable in ((next_keys, NEXT_KEYS_ENV), (retired_keys, RETIRED_KEYS_ENV)):
        for text in listed.split(","):
            if text.strip():
                public_key = Ed25519PublicKey.from_public_bytes(_key_bytes(text.strip(), variable))
                listed_key = keys.setdefault(signed_token.key_id(public_key), public_key)
                if listed_key.public_bytes_raw() != public_key.public_bytes_raw():
                    raise RuntimeError(f"{variable} holds a key whose kid another key has: make another key")
    return keys


@functools.lru_cache(maxsize=4)
def _jwks(seed: str, source: str, next_keys: str, retired_keys: str) -> dict[str, list[dict[str, str]]]:
    keys = _verification_keys(seed, source, next_keys, retired_keys)
    return {"keys": [signed_token.jwk(key) for key in keys.values()]}


def public_key(seed: str) -> str:
    """What `DHN_QR_NEXT_KEYS` and `DHN_QR_RETIRED_KEYS` list for a seed: its raw public key
    in base64url, the `x` of its JWKS entry."""
    return signed_token.jwk(_signing_key(seed, SIGNING_KEY_ENV).public_key())["x"]


def generate_seed() -> str:
    """A new signing key for `DHN_QR_SIGNING_KEY` (the local stack and the tests).

    An Ed25519 private key is any 32 random bytes, so no crypto library is needed here.
    """
    import secrets  # here, not at the top: only the local stack and the tests make keys

    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_SIZE)).rstrip(b"=").decode("ascii")


def reset() -> None:
    """Forget the cached keys and secret, so the next call reads the configuration again."""
    _jwks.cache_clear()
    _verification_keys.cache_clear()
    _signing_key.cache_clear()
    if os.environ.get(SECRET_ARN_ENV):
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()  # type: ignore[no-untyped-call]


def _key_bytes(text: str, variable: str) -> bytes:
    """32 bytes from base64url, padding optional.

    The error names the variable and never echoes its value, which may be a secret.
    """
    unpadded = text.rstrip("=")
    raw = b""
    # urlsafe_b64decode alone would skip stray characters and take "+" and "/" as well.
    if set(unpadded) <= _BASE64URL and len(unpadded) % 4 != 1:
        raw = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    if len(raw) != _KEY_SIZE:
        raise RuntimeError(f"{variable} must hold base64url keys of {_KEY_SIZE} bytes")
    return raw
