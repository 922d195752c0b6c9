"""Operations on the local stack: wrap infra/stack.sh and the Flink CLI/REST API it configures."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "infra" / "stack.sh"


def stack(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(STACK), *args], cwd=ROOT, text=True,
                          capture_output=capture, check=False)


def stack_env() -> dict[str, str]:
    """The resolved stack configuration (infra/stack.env plus overrides)."""
    out = stack("env", capture=True)
    if out.returncode != 0:
        raise RuntimeError(f"infra/stack.sh env failed: {out.stderr.strip()}")
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def bootstrap_servers(env: dict[str, str] | None = None) -> str:
    env = env or stack_env()
    return f"{env['BF_KAFKA_HOST']}:{env['BF_KAFKA_PORT']}"


def rest_url(env: dict[str, str] | None = None) -> str:
    env = env or stack_env()
    return f"http://{env['BF_FLINK_HOST']}:{env['BF_FLINK_REST_PORT']}"


def rest(path: str, env: dict[str, str] | None = None, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(rest_url(env) + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:  # Flink answers with {"errors": [...]}
        detail = exc.read().decode("utf-8", "replace")
        try:
            detail = "; ".join(str(e).splitlines()[0] for e in json.loads(detail).get("errors", [])) or detail
        except ValueError:
            pass
        raise RuntimeError(f"Flink REST {method} {path}: HTTP {exc.code}: {detail[:300]}") from None
    except urllib.error.URLError as exc:
        raise ConnectionError(f"no Flink cluster answers at {rest_url(env)} ({exc.reason}); "
                              "`borderflow infra up` starts the local one") from None


def submit(job_args: list[str], detached: bool = True, from_savepoint: str | None = None,
           allow_non_restored_state: bool = False) -> str:
    """Submit jobs/cluster_job.py to the running cluster; returns the Flink job id."""
    env = stack_env()
    python = str(ROOT / env.get("BF_VENV", ".venv") / "bin" / "python")
    cmd = ["flink", "run"] + (["-d"] if detached else [])
    if from_savepoint:
        cmd += ["-s", from_savepoint] + (["--allowNonRestoredState"] if allow_non_restored_state else [])
    cmd += ["-pyclientexec", python, "-pyexec", python, "-py", str(ROOT / "jobs" / "cluster_job.py"),
            "--bootstrap-servers", bootstrap_servers(env), *job_args]
    out = stack(*cmd, capture=True)
    sys.stdout.write(out.stdout[-2000:])
    if out.returncode != 0:
        raise RuntimeError(f"flink run failed ({out.returncode}): {out.stderr[-3000:]}")
    for token in out.stdout.split():
        if len(token) == 32 and all(c in "0123456789abcdef" for c in token):
            return token
    raise RuntimeError(f"no job id in the output of flink run: {out.stdout[-500:]}")


def job_state(job_id: str, env: dict[str, str] | None = None) -> str:
    return rest(f"/jobs/{job_id}", env)["state"]


def cancel(job_id: str) -> None:
    """Cancel a job without a savepoint (state is lost: for tests and broken jobs)."""
    rest(f"/jobs/{job_id}?mode=cancel", method="PATCH")


def wait_for_state(job_id: str, states: set[str], timeout_s: float, env: dict[str, str] | None = None) -> str:
    """Poll the job until it is in one of `states`; pass `env` (stack_env()) to poll without
    re-reading the stack configuration every second."""
    deadline = time.monotonic() + timeout_s
    state = "UNKNOWN"
    while time.monotonic() < deadline:
        state = job_state(job_id, env)
        if state in states:
            return state
        if state in {"FAILED", "CANCELED"} - states:
            raise RuntimeError(f"job {job_id} is {state}: {rest(f'/jobs/{job_id}/exceptions', env).get('root-exception', '')[:3000]}")
        time.sleep(1)
    raise TimeoutError(f"job {job_id} still {state} after {timeout_s:.0f}s")


def stop_with_savepoint(job_id: str, target_dir: str, timeout_s: float = 120, drain: bool = False) -> str:
    """Stop the job with a savepoint (Flink's stop: sources finish, sinks commit); returns its path.
    `drain` ends event time first (every pending timer fires: all open declarations are decided),
    for a job that will not be resumed; without it the savepoint resumes where the job left off."""
    trigger = rest(f"/jobs/{job_id}/stop", method="POST", body={"targetDirectory": target_dir, "drain": drain})
    return _await_savepoint(job_id, trigger["request-id"], timeout_s)


def savepoint(job_id: str, target_dir: str, timeout_s: float = 120) -> str:
    """Take a savepoint and keep the job running; returns its path."""
    trigger = rest(f"/jobs/{job_id}/savepoints", method="POST", body={"target-directory": target_dir, "cancel-job": False})
    return _await_savepoint(job_id, trigger["request-id"], timeout_s)


def _await_savepoint(job_id: str, request_id: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = rest(f"/jobs/{job_id}/savepoints/{request_id}")
        if status["status"]["id"] == "COMPLETED":
            operation = status["operation"]
            if "failure-cause" in operation:
                raise RuntimeError(f"savepoint failed: {operation['failure-cause']}")
            return operation["location"]
        time.sleep(1)
    raise TimeoutError(f"savepoint of {job_id} not done after {timeout_s:.0f}s")
