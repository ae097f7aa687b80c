"""The CDK app: one stack for the stage named by the `stage` context (`-c stage=dev`).

The stage's names are put in the environment before chalicelib is imported: its table models
and queue names are read from there, by this process and by `chalice package` alike.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Feature flags, here rather than in cdk.json so that `make synth` (which runs this file
# without the CDK CLI) and `cdk deploy` build the same template.
FLAGS = {
    # S3 server access logs are delivered under a bucket policy, not a legacy ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import aws_cdk as cdk

    from infra.stages import STAGES

    app = cdk.App(context=FLAGS)
    name = app.node.try_get_context("stage")
    if name not in STAGES:
        raise SystemExit(f"choose a stage with -c stage=NAME, one of: {', '.join(STAGES)}")
    stage = STAGES[name]
    os.environ.update(
        {
            "DHN_STAGE": stage.name,
            "DHN_RESOURCE_PREFIX": stage.prefix,
            "AWS_REGION": stage.region,
            "AWS_DEFAULT_REGION": stage.region,
        }
    )

    import app as chalice_app
    from infra.stack import DhnStack

    # `cdk deploy` names the account of the caller's credentials; `make synth` a stand-in one.
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    if not account:
        raise SystemExit("no AWS account: deploy with credentials set, or synthesize with `make synth`")
    env = cdk.Environment(account=account, region=stage.region)
    DhnStack(app, stage, ROOT, chalice_app.app.event_sources, env)
    app.synth()


if __name__ == "__main__":
    main()
