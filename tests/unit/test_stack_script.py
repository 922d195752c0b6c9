"""infra/stack.sh's command line, where no stack is needed: arguments it refuses, and stopping
components that do not run (its own folders, on ports nothing uses)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _stack(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BF_CACHE_DIR": str(tmp_path / "cache"), "BF_RUN_DIR": str(tmp_path / "run"),
           "BF_KAFKA_PORT": "59092", "BF_KAFKA_CONTROLLER_PORT": "59093", "BF_FLINK_REST_PORT": "58081",
           "BF_FLINK_RPC_PORT": "56123"}
    return subprocess.run(["bash", str(ROOT / "infra" / "stack.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("args", [("down", "bogus"), ("down", "kafka", "taskmanagers")])
def test_down_refuses_an_unknown_component(tmp_path, args):
    # it used to ignore its arguments and stop the whole stack
    done = _stack(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr.strip() == f"stack: down: unknown component '{args[-1]}' (kafka, jobmanager, taskmanager; none: all)"


@pytest.mark.parametrize("args", [("down",), ("down", "taskmanager"), ("down", "kafka", "jobmanager")])
def test_down_with_nothing_running(tmp_path, args):
    done = _stack(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert "stack: nothing running" in done.stdout


def test_unknown_command_prints_usage(tmp_path):
    done = _stack(tmp_path, "sideways")
    assert done.returncode == 2
    assert "infra/stack.sh down [kafka|jobmanager|taskmanager ...]" in done.stderr
