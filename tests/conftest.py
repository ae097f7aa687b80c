"""Shared test set-up: a fake AWS account in moto, a signing key, and an API client."""

from __future__ import annotations

import os

# Before anything imports chalicelib: table names and keys are read from here.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
        "DHN_STAGE": "test",
        "DHN_OPERATOR_TOKEN": "operator-test-token",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
# The tests publish only the keys they make, whatever the shell that runs them has set.
os.environ.pop("DHN_QR_NEXT_KEYS", None)
os.environ.pop("DHN_QR_RETIRED_KEYS", None)
if "DHN_WEBHOOK_KEY" not in os.environ:
    from chalicelib.core import sealing

    os.environ["DHN_WEBHOOK_KEY"] = sealing.generate_key()
if "DHN_QR_SIGNING_KEY" not in os.environ:
    from chalicelib.core import signing_keys

    os.environ["DHN_QR_SIGNING_KEY"] = signing_keys.generate_seed()
