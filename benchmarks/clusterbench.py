"""What the cluster benchmarks share: their own stack, run facts, traffic, job timings from Flink's
REST API, source progress from the TaskManager's Prometheus endpoint, and the results file.

The benchmarks run on a stack of their own by default (BENCH_STACK: other ports and run folder than
infra/stack.env), so they never touch the stack the integration tests use. `--stack KEY=VALUE`
overrides any BF_* setting; `--default-stack` uses infra/stack.env as it is (that stack must
already be running: the benchmarks never start or stop it).
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import math
import os
import platform
import re
import subprocess
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.jsonl"

# Ports and run folder of the benchmarks' own stack (infra/stack.sh reads BF_* from the environment).
# Flink's blob, TaskManager RPC and data ports are ephemeral (0) in infra/stack.sh: nothing to move.
BENCH_STACK = {
    "BF_RUN_DIR": ".cache/infra/run-bench",
    "BF_KAFKA_PORT": "39092",
    "BF_KAFKA_CONTROLLER_PORT": "39093",
    "BF_FLINK_REST_PORT": "38081",
    "BF_FLINK_RPC_PORT": "36123",
    "BF_FLINK_PROMETHEUS_PORTS": "39249-39252",
    # The production layout: one slot per TaskManager (in thread mode the Python operators of one
    # TaskManager share one interpreter and its GIL, so p2 needs two TaskManagers).
    "BF_FLINK_TASKMANAGERS": "2",
    "BF_FLINK_TASK_SLOTS": "1",
}

# Measured on the generator: 7 days x 500 declarations/day -> 16,236 messages on the input topics
# (manifests, container events and control results come with each declaration).
MESSAGES_PER_DECLARATION = 4.6


# --- stack -----------------------------------------------------------------------------------------
def add_stack_options(ap) -> None:
    ap.add_argument("--stack", action="append", default=[], metavar="KEY=VALUE",
                    help="override a BF_* stack setting (default: the benchmarks' own stack: "
                         + " ".join(f"{k}={v}" for k, v in BENCH_STACK.items()) + ")")
    ap.add_argument("--default-stack", action="store_true",
                    help="use infra/stack.env as is (that stack must be running; never started or stopped here)")
    ap.add_argument("--keep-stack", action="store_true", help="leave a stack this run started running (quicker re-runs)")


@contextmanager
def bench_stack(args):
    """The resolved stack environment; starts the stack if needed and stops it afterwards if this
    call started it (unless --keep-stack)."""
    from borderflow import cluster

    if not args.default_stack:
        overrides = dict(BENCH_STACK)
        for item in args.stack:
            key, sep, value = item.partition("=")
            if not sep or not key.startswith("BF_"):
                raise SystemExit(f"--stack wants BF_KEY=VALUE, got {item!r}")
            overrides[key] = value
        os.environ.update(overrides)
    started = False
    if cluster.stack("status", capture=True).returncode != 0:
        if args.default_stack:
            raise SystemExit("--default-stack: the stack of infra/stack.env is not (fully) running; start it with "
                             "infra/stack.sh up, or drop --default-stack to use the benchmarks' own stack")
        print("stack: starting the benchmarks' stack (infra/stack.sh up) ...", flush=True)
        up = cluster.stack("up", capture=True)
        if up.returncode != 0:
            print(up.stdout[-3000:], up.stderr[-3000:])
            cluster.stack("down", capture=True)
            raise SystemExit("infra/stack.sh up failed")
        started = True
    elif not args.default_stack:
        # A TaskManager's embedded Python keeps the modules earlier jobs imported: fresh ones, so
        # the jobs run this checkout's code (on --default-stack that is the operator's call).
        restart = cluster.stack("taskmanagers", "restart", capture=True)
        if restart.returncode != 0:
            print(restart.stdout[-3000:], restart.stderr[-3000:])
            raise SystemExit("infra/stack.sh taskmanagers restart failed")
    env = cluster.stack_env()
    try:
        yield env
    finally:
        if started and not args.keep_stack:
            print("stack: stopping what this run started (infra/stack.sh down)", flush=True)
            cluster.stack("down", capture=True)


def wait_for_free_slots(env: dict, needed: int, timeout_s: float = 120) -> None:
    from borderflow import cluster

    deadline = time.monotonic() + timeout_s
    while True:
        overview = cluster.rest("/overview", env)
        if overview["slots-available"] >= needed:
            return
        if overview["slots-total"] < needed:
            raise SystemExit(f"parallelism {needed} needs {needed} task slots; the cluster has {overview['slots-total']} "
                             "(BF_FLINK_TASK_SLOTS)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{needed} task slots not free after {timeout_s:.0f} s: {overview}")
        time.sleep(1)


def cancel_job(env: dict, job_id: str, timeout_s: float = 60) -> None:
    from borderflow import cluster

    if cluster.job_state(job_id, env) in {"FINISHED", "CANCELED", "FAILED"}:
        return
    cluster.rest(f"/jobs/{job_id}?mode=cancel", env, method="PATCH")
    cluster.wait_for_state(job_id, {"CANCELED", "FINISHED", "FAILED"}, timeout_s, env)


# --- facts and results -----------------------------------------------------------------------------
def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout.strip()


def run_facts(env: dict) -> dict:
    """When, which code, on what machine and stack: stored with every figure set."""
    cpu_model = ""
    try:
        cpu_model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_gb = None
    try:
        mem_gb = round(int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))) / 2**20, 1)
    except (OSError, StopIteration):
        pass
    return {
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_uncommitted_files": len(_git("status", "--porcelain").splitlines()),
        "machine": {"cpus": os.cpu_count(), "cpu_model": cpu_model, "mem_gb": mem_gb, "platform": platform.platform(),
                    "python": platform.python_version(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "stack": {k: env.get(k) for k in ("BF_FLINK_VERSION", "BF_KAFKA_VERSION", "BF_FLINK_KAFKA_CONNECTOR_VERSION",
                                          "BF_FLINK_TASK_SLOTS", "BF_FLINK_TM_MEMORY", "BF_FLINK_PYTHON_MODE",
                                          "BF_KAFKA_PORT", "BF_FLINK_REST_PORT")},
    }


def append_result(row: dict, path: str | Path = RESULTS) -> None:
    row.setdefault("machine", {})["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(f"appended to {path}")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- traffic ---------------------------------------------------------------------------------------
def generate_messages(out_dir: Path, events: int, days: int, seed: int) -> tuple[list, int]:
    """Seeded generator traffic of about `events` messages over `days` days of filings, as
    (event_time_ms, stream, payload) in event-time order; returns (messages, declarations_per_day)."""
    from generator.traffic import generate
    from jobs.sources import timed_traffic_messages

    per_day = max(1, round(events / (days * MESSAGES_PER_DECLARATION)))
    generate(out_dir, days=days, seed=seed, declarations_per_day=per_day)
    return timed_traffic_messages(out_dir), per_day


# --- Flink job timings (REST) ----------------------------------------------------------------------
def job_timing(env: dict, job_id: str) -> dict:
    """Flink's own time stamps (JobManager clock, ms) of a job: submitted (CREATED), all subtasks
    RUNNING (start-up done: deployed, Python started, operators open), FINISHED/CANCELED."""
    from borderflow import cluster

    job = cluster.rest(f"/jobs/{job_id}", env)
    running, finished = [], []
    for vertex in job["vertices"]:
        for sub in cluster.rest(f"/jobs/{job_id}/vertices/{vertex['id']}/subtasktimes", env)["subtasks"]:
            stamps = sub["timestamps"]
            running.append(stamps.get("RUNNING") or 0)
            finished.append(stamps.get("FINISHED") or 0)
    ts = job["timestamps"]
    return {"created_ms": ts.get("CREATED") or job["start-time"], "all_running_ms": max(running) if all(running) else None,
            "end_ms": job.get("end-time") if job.get("end-time", -1) > 0 else None,
            "last_subtask_finished_ms": max(finished) if all(finished) else None, "state": job["state"]}


def all_tasks_running(env: dict, job_id: str) -> bool:
    from borderflow import cluster

    job = cluster.rest(f"/jobs/{job_id}", env)
    return job["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in job["vertices"])


def checkpoints(env: dict, job_id: str) -> dict:
    from borderflow import cluster

    cp = cluster.rest(f"/jobs/{job_id}/checkpoints", env)
    summary = cp.get("summary", {}).get("end_to_end_duration", {})
    return {"completed": cp["counts"]["completed"], "failed": cp["counts"]["failed"],
            "end_to_end_ms_avg": summary.get("avg"), "end_to_end_ms_max": summary.get("max")}


# --- live progress: the TaskManager's Prometheus endpoint -----------------------------------------
_SAMPLE = re.compile(r'^flink_taskmanager_job_task_operator_numRecordsOut\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def prometheus_urls(env: dict) -> list[str]:
    ports = env.get("BF_FLINK_PROMETHEUS_PORTS", "")
    if not ports:
        return []
    lo, _, hi = ports.partition("-")
    return [f"http://127.0.0.1:{p}/metrics" for p in range(int(lo), int(hi or lo) + 1)]


def _pids(run_dir: str, pattern: str) -> list[int]:
    """The pids in the stack's pid files (a TaskManager pid file has a line per TaskManager)."""
    pids = []
    for pid_file in (Path(run_dir) / "pids").glob(pattern):
        try:
            pids += [int(p) for p in pid_file.read_text().split()]
        except (OSError, ValueError):
            pass
    return pids


def _cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of processes so far (Linux /proc)."""
    total = None
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total = (total or 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class SourceProgress(threading.Thread):
    """Samples, every `interval_s`: records emitted by the job's Kafka source operators so far
    (numRecordsOut of operators named "Source: ...", summed over subtasks, from the TaskManager's
    Prometheus endpoint, read live, unlike the REST metrics that are cached for 10 s), and the CPU
    seconds of the TaskManager and Kafka processes. A finished subtask leaves the endpoint: its last
    value is kept."""

    def __init__(self, env: dict, job_name: str, interval_s: float = 0.25):
        # By job name (unique per run), so sampling can start before `flink run` returns the id.
        super().__init__(daemon=True)
        self.urls = prometheus_urls(env)
        # The reporter writes label values with every character but [A-Za-z0-9:_] replaced by "_".
        self.job_name = re.sub(r"[^A-Za-z0-9:_]", "_", job_name)
        self.interval_s = interval_s
        self.tm_pids = _pids(env["BF_RUN"], "flink-*-taskexecutor.pid")
        self.kafka_pids = _pids(env["BF_RUN"], "kafka.pid")
        self.samples: list[tuple[float, int, float | None, float | None]] = []  # (wall s, records, tm cpu, kafka cpu)
        self._last: dict[tuple[str, str], float] = {}
        self._halt = threading.Event()
        self.seen_metrics = False

    def _scrape(self) -> None:
        for url in self.urls:
            try:
                text = urllib.request.urlopen(url, timeout=2).read().decode()
            except (OSError, http.client.HTTPException):
                # No reporter on this port of the range (fewer processes than ports). The range is
                # in the ephemeral ports, so a connection to a free one can meet itself (TCP
                # self-connect) and read back its own request: BadStatusLine, not an OSError.
                continue
            for line in text.splitlines():
                m = _SAMPLE.match(line)
                if not m:
                    continue
                labels = dict(_LABEL.findall(m["labels"]))
                if labels.get("job_name") != self.job_name or not labels.get("operator_name", "").startswith("Source:"):
                    continue
                key = (labels.get("operator_id", ""), labels.get("subtask_index", ""))
                self._last[key] = max(self._last.get(key, 0.0), float(m["value"]))
                self.seen_metrics = True

    def run(self) -> None:
        while not self._halt.is_set():
            self._scrape()
            self.samples.append((time.time(), int(sum(self._last.values())), _cpu_seconds(self.tm_pids),
                                 _cpu_seconds(self.kafka_pids)))
            self._halt.wait(self.interval_s)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)

    def records_at(self, wall_s: float) -> int | None:
        """Records emitted by the sources as of the last sample at or before `wall_s`."""
        before = [s for s in self.samples if s[0] <= wall_s]
        return before[-1][1] if before and self.seen_metrics else None

    def steady(self, total: int, lo: float = 0.1, hi: float = 0.9) -> dict | None:
        """Rate and CPU cost while the sources went from lo to hi of `total` records: the job's
        sustained throughput with start-up and the drain at the end left out."""
        if not self.seen_metrics or total <= 0:
            return None
        first = next((s for s in self.samples if s[1] >= lo * total), None)
        last = next((s for s in self.samples if s[1] >= hi * total), None)
        if first is None or last is None or last[0] <= first[0]:
            return None
        seconds, records = last[0] - first[0], last[1] - first[1]
        out = {"window": [lo, hi], "seconds": round(seconds, 2), "records": records,
               "events_per_second": round(records / seconds, 1)}
        for name, i in (("taskmanager", 2), ("kafka", 3)):
            if first[i] is not None and last[i] is not None and last[i] > first[i]:
                cpu = last[i] - first[i]
                out[f"{name}_cpu_cores"] = round(cpu / seconds, 2)
                out[f"events_per_{name}_cpu_second"] = round(records / cpu, 1)
        return out
