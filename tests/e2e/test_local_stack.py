"""`make run`'s stack: it honours PORT and DHN_OPERATOR_TOKEN, says where it is, and SIGTERM
stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from local.stack import free_port

ROOT = Path(__file__).resolve().parents[2]


def _read_until(process: subprocess.Popen[str], marker: str, seconds: float = 90) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} in: {lines}")


def test_stack_starts_where_told_and_stops_on_sigterm() -> None:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DHN_OPERATOR_TOKEN": "op-from-env"}
    env.pop("AWS_ENDPOINT_URL", None)
    stack = subprocess.Popen(
        [sys.executable, "-m", "local.stack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = _read_until(stack, "Operator token")
        assert f"http://127.0.0.1:{port}/v1" in "\n".join(lines)
        assert "Operator token: op-from-env" in lines[-1]
        base = f"http://127.0.0.1:{port}/v1"
        assert requests.get(f"{base}/health", timeout=5).json() == {"status": "ok"}
        made = requests.post(
            f"{base}/insurers/CNS/tokens", headers={"authorization": "Bearer op-from-env"}, timeout=5
        )
        assert made.status_code == 201
    finally:
        stack.send_signal(signal.SIGTERM)
        assert stack.wait(timeout=30) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/health", timeout=2)
