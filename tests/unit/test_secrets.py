"""In AWS the QR signing key's seed is read from Secrets Manager, lazily and with a bounded
cache, so that a rotation reaches every warm container without a deployment."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib.core import signing_keys
from chalicelib.domain import qr_token, signed_token
from tests.unit.test_qr_token import CLAIMS


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-central-1")
        arn = client.create_secret(Name="dhn-test/qr-signing-key", SecretString=signing_keys.generate_seed())[
            "ARN"
        ]
        monkeypatch.delenv(signing_keys.SIGNING_KEY_ENV, raising=False)
        monkeypatch.delenv(signing_keys.RETIRED_KEYS_ENV, raising=False)
        monkeypatch.setenv(signing_keys.SECRET_ARN_ENV, arn)
        signing_keys.reset()
        yield arn
        signing_keys.reset()
    signing_keys.reset()


def test_the_seed_comes_from_the_secret(secret: str) -> None:
    client = boto3.client("secretsmanager", region_name="eu-central-1")
    seed = client.get_secret_value(SecretId=secret)["SecretString"]
    expected = signing_keys._signing_key(seed, signing_keys.SIGNING_KEY_ENV).public_key()
    assert signing_keys.signing_key().public_key().public_bytes_raw() == expected.public_bytes_raw()
    assert [k["kid"] for k in signing_keys.jwks()["keys"]] == [signed_token.key_id(expected)]


def test_a_generated_secret_of_43_letters_and_digits_is_a_seed(secret: str) -> None:
    # What infra/ asks Secrets Manager to generate: 43 characters without punctuation.
    boto3.client("secretsmanager", region_name="eu-central-1").put_secret_value(
        SecretId=secret, SecretString="Ab3" * 14 + "Z"
    )
    signing_keys.reset()
    token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    assert qr_token.decode(token, signing_keys.verification_keys()) == CLAIMS


def test_rotation_in_the_secret_keeps_retired_keys_verifying(
    secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    old_x = signing_keys.jwks()["keys"][0]["x"]
    monkeypatch.setenv(signing_keys.RETIRED_KEYS_ENV, old_x)
    boto3.client("secretsmanager", region_name="eu-central-1").put_secret_value(
        SecretId=secret, SecretString=signing_keys.generate_seed()
    )
    signing_keys.reset()  # what SECRET_MAX_AGE_SECONDS does in a running container
    new_token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    keys = signing_keys.verification_keys()
    assert len(keys) == 2
    assert qr_token.decode(old_token, keys) == qr_token.decode(new_token, keys) == CLAIMS


def test_a_malformed_secret_names_the_setting_not_the_value(secret: str) -> None:
    boto3.client("secretsmanager", region_name="eu-central-1").put_secret_value(
        SecretId=secret, SecretString="not a seed"
    )
    signing_keys.reset()
    with pytest.raises(RuntimeError, match=signing_keys.SECRET_ARN_ENV) as caught:
        signing_keys.signing_key()
    assert "not a seed" not in str(caught.value)
