"""Which DHN the command line works on, and who is acting.

The stores read the stage, the region and the AWS endpoint from the environment when they
first reach a table, so choosing a stage is setting the variables the app itself reads; the
operator acting is the AWS identity whose credentials run the command: IAM is the root of
trust, and what it does is an operator's action like any other.
"""

from __future__ import annotations

import os
from enum import StrEnum

from chalicelib.core import config
from chalicelib.services import identity
from chalicelib.services.identity import Principal

# The local stack's moto accepts any credentials; these keep the caller's real ones away.
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class Stage(StrEnum):
    local = "local"
    dev = "dev"
    prod = "prod"


class TargetError(Exception):
    """The stage and endpoint asked for do not go together."""


def use(stage: Stage | None, endpoint: str | None) -> None:
    """Point this process at `stage`. Without one, the environment's own settings stand, as
    they do for the app (the tests work that way)."""
    if stage is None:
        return
    if stage is Stage.local:
        if not endpoint:
            raise TargetError("the local stack needs --endpoint: `make run` prints its AWS endpoint")
        for variable in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            os.environ.pop(variable, None)
        os.environ.update({"AWS_ENDPOINT_URL": endpoint, **_LOCAL_CREDENTIALS})
    elif endpoint:
        raise TargetError(f"--endpoint (or AWS_ENDPOINT_URL) is for the local stack, not {stage.value}")
    os.environ["DHN_STAGE"] = stage.value
    # The stage's own names (`dhn-dev-…`), as infra/ gives them, whatever a shell exported.
    os.environ.pop("DHN_RESOURCE_PREFIX", None)


def acting_operator() -> Principal:
    """The operator running this command, named by the AWS identity of its credentials."""
    import boto3

    arn = boto3.client("sts", region_name=config.region()).get_caller_identity()["Arn"]
    return identity.console_operator(arn)
