"""The worker of the local stack calls every scheduled handler as EventBridge would."""

from __future__ import annotations

from tests.api.conftest import Api


def test_every_worker_job_runs(api: Api) -> None:
    from local import worker

    jobs = worker.jobs()
    assert jobs
    for job in jobs:
        job()
