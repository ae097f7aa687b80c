"""`make run`: moto, the tables, bucket and queues, `chalice local` and the worker loop.

Everything binds to 127.0.0.1. Ctrl-C or SIGTERM stops every process this started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8000
DEFAULT_OPERATOR_TOKEN = "dhn-local-operator"  # noqa: S105 (local stack only, documented)


@dataclass(frozen=True)
class Stack:
    base_url: str
    aws_endpoint: str
    operator_token: str
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urlopen(url, timeout=2):  # noqa: S310 (our own http://127.0.0.1 URL)
                return
        except (URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stack_env(aws_port: int, operator_token: str, signing_key: str, webhook_key: str) -> dict[str, str]:
    """What every process of the stack sees: moto as AWS, fake credentials, the local stage."""
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
        "DHN_STAGE": "local",
        "DHN_RESOURCE_PREFIX": "dhn-local",
        "DHN_OPERATOR_TOKEN": operator_token,
        "DHN_QR_SIGNING_KEY": signing_key,
        "DHN_WEBHOOK_KEY": webhook_key,
        "PYTHONPATH": str(ROOT),
    }


def _provision(env: dict[str, str]) -> None:
    # A child process, so this one never imports chalicelib with a half-set environment.
    subprocess.run(
        [sys.executable, "-c", "from chalicelib.store import provision; provision.create_all()"],
        env=env,
        cwd=ROOT,
        check=True,
    )


@contextmanager
def running(
    port: int | None = None,
    operator_token: str | None = None,
    api_aws: Callable[[str], str] | None = None,
) -> Iterator[Stack]:
    """The whole stack for as long as the block runs; used by `make run` and the e2e tests.
    `api_aws`, given moto's URL, names the AWS endpoint the API reaches instead: a test's
    proxy that makes AWS misbehave for the API alone."""
    from chalicelib.core import sealing, signing_keys

    api_port = port or free_port()
    aws_port = free_port()
    token = operator_token or DEFAULT_OPERATOR_TOKEN
    env = stack_env(
        aws_port,
        token,
        os.environ.get("DHN_QR_SIGNING_KEY") or signing_keys.generate_seed(),
        os.environ.get("DHN_WEBHOOK_KEY") or sealing.generate_key(),
    )
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str, quiet: bool = False, aws: str | None = None) -> subprocess.Popen[bytes]:
        output = subprocess.DEVNULL if quiet else None
        seen = {**env, "AWS_ENDPOINT_URL": aws} if aws else env
        # A session of its own, so stopping it also stops what it started (chalice local's
        # auto-reloading child would otherwise outlive it).
        process = subprocess.Popen(
            args, env=seen, cwd=ROOT, stdout=output, stderr=output, start_new_session=True
        )
        processes.append(process)
        return process

    try:
        # moto logs every AWS call; the API's own log is the one worth reading.
        moto = start(sys.executable, "-m", "local.moto_server", "--port", str(aws_port), quiet=True)
        _wait_for(f"http://127.0.0.1:{aws_port}/moto-api/", moto)
        _provision(env)
        chalice = start(
            sys.executable,
            "-m",
            "local.chalice_local",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(api_port),
            "--stage",
            "local",
            # The reloader restarts the server whenever any file under the project changes
            # (bytecode and tool caches included), dropping the requests in flight; the
            # worker does not reload either, so a code change means restarting the stack.
            "--no-autoreload",
            aws=api_aws(env["AWS_ENDPOINT_URL"]) if api_aws else None,
        )
        _wait_for(f"http://127.0.0.1:{api_port}/v1/health", chalice)
        start(sys.executable, "-m", "local.worker")
        yield Stack(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}", token, env)
    finally:
        for process in reversed(processes):
            _signal_group(process, signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)


def operator_usage(stack: Stack) -> str:
    """How to run the operator command line (`ops/`) against this stack."""
    python = Path(sys.executable)
    if python.is_relative_to(ROOT):
        python = python.relative_to(ROOT)
    command = f"{python} -m ops --stage local"
    return "\n".join(
        [
            "The operator command line works on this stack, from another terminal:",
            f"  export AWS_ENDPOINT_URL={stack.aws_endpoint}",
            f"  {command} token mint 'Your Name'      # a named operator token, 8 h",
            f"  {command} registry import FILE.jsonl  # the registry feed in bulk (or FILE.csv)",
            f"  {command} --help",
        ]
    )


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 (signal handler signature)
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    with running(port, os.environ.get("DHN_OPERATOR_TOKEN")) as stack:
        print(f"DHN is running at {stack.base_url}/v1 (AWS stand-in at {stack.aws_endpoint})", flush=True)
        print(f"API reference: {stack.base_url}/v1/docs", flush=True)
        # A bootstrap token, honoured by this local stack only: no AWS stage has a static one.
        print(f"Operator token: {stack.operator_token} (bootstrap, this local stack only)", flush=True)
        print(operator_usage(stack), flush=True)
        print("Ctrl-C stops everything.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("Stopping.", flush=True)


if __name__ == "__main__":
    main()
