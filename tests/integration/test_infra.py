"""The local stack (infra/stack.sh): a real Kafka broker in KRaft mode and a standalone Flink
cluster, started once for this module and stopped at the end (unless it was already running).

(a) plain and transactional produce/consume on `declarations`: committed records are visible to a
    read_committed consumer, aborted ones are not;
(b) the Flink REST API reports one TaskManager with the configured slots;
(c) a PyFlink job submitted to the cluster reads a topic with KafkaSource, maps in Python inside the
    TaskManager (thread mode, importing the project) and writes with an EXACTLY_ONCE KafkaSink;
    a read_committed consumer sees exactly the committed input, transformed.
"""
import json
import re
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "infra" / "stack.sh"
SMOKE_JOB = ROOT / "infra" / "smoke" / "kafka_roundtrip.py"
RUN_ID = uuid.uuid4().hex[:10]


def stack(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(STACK), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def log_tails(lines: int = 60) -> str:
    try:
        return stack("logs", str(lines), timeout=30).stdout
    except Exception as exc:  # diagnostics must not hide the real failure
        return f"(no logs: {exc})"


def fail(message: str) -> None:
    pytest.fail(f"{message}\n\n--- log tails ---\n{log_tails()}", pytrace=False)


@pytest.fixture(scope="module")
def infra():
    """Bring the stack up (idempotent) and take it down at the end if this module started it."""
    was_running = stack("status", timeout=60).returncode == 0
    t0 = time.monotonic()
    up = stack("up", timeout=900)  # a cold start fetches the jars with Maven first
    if up.returncode != 0:
        stack("down", timeout=120)
        pytest.fail(f"infra/stack.sh up failed (exit {up.returncode}):\n{up.stdout}\n{up.stderr}", pytrace=False)
    print(f"\ninfra up in {time.monotonic() - t0:.1f}s (already running: {was_running})\n{up.stdout}")
    env = dict(line.split("=", 1) for line in stack("env", timeout=60).stdout.splitlines() if "=" in line)
    yield env
    if not was_running:
        down = stack("down", timeout=180)
        assert down.returncode == 0, f"infra/stack.sh down failed (exit {down.returncode}):\n{down.stdout}\n{down.stderr}"
        status = stack("status", timeout=60)
        assert status.returncode == 3, f"after down, status should say nothing runs (exit 3):\n{status.stdout}"


# --- Kafka helpers ---------------------------------------------------------------------------------
def kafka_conf(env: dict, **extra) -> dict:
    return {"bootstrap.servers": env["BOOTSTRAP"], **extra}


def end_offsets(env, topic: str) -> dict[int, int]:
    consumer = Consumer(kafka_conf(env, **{"group.id": f"itest-offsets-{RUN_ID}"}))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    finally:
        consumer.close()


def consume(env, topic: str, start: dict[int, int], isolation: str, timeout: float = 30) -> list[str]:
    """Every value from the `start` offsets (default 0) to the end of each partition (the last
    stable offset for read_committed); fails if the end is not reached within `timeout`."""
    partitions = end_offsets(env, topic)
    consumer = Consumer(kafka_conf(env, **{
        "group.id": f"itest-{RUN_ID}-{isolation}", "enable.auto.commit": False, "enable.partition.eof": True,
        "isolation.level": isolation, "auto.offset.reset": "earliest"}))
    consumer.assign([TopicPartition(topic, p, start.get(p, 0)) for p in partitions])
    values: list[str] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + timeout
    try:
        while at_end != set(partitions):
            if time.monotonic() > deadline:
                fail(f"{isolation} consumer on {topic} did not reach the end of partitions "
                     f"{sorted(set(partitions) - at_end)} within {timeout:.0f}s (read so far: {values})")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                    continue
                fail(f"consumer error on {topic}: {msg.error()}")
            values.append(msg.value().decode())
    finally:
        consumer.close()
    return values


def create_topics(env, *names: str, partitions: int = 2) -> None:
    admin = AdminClient(kafka_conf(env))
    new = [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names]
    for fut in admin.create_topics(new, operation_timeout=30).values():
        fut.result()


def delete_topics(env, *names: str) -> None:
    admin = AdminClient(kafka_conf(env))
    for fut in admin.delete_topics(list(names), operation_timeout=30).values():
        try:
            fut.result()
        except Exception:
            pass


def produce_transactions(env, topic: str, committed: list[str], aborted: list[str]) -> None:
    producer = Producer(kafka_conf(env, **{"transactional.id": f"itest-{topic}-{RUN_ID}"}))
    producer.init_transactions(30)
    for values, commit in ((committed, True), (aborted, False)):
        producer.begin_transaction()
        for i, value in enumerate(values):
            producer.produce(topic, key=f"{RUN_ID}-{i}".encode(), value=value.encode())
        if commit:
            producer.commit_transaction(30)
        else:
            producer.flush(30)  # the records reach the log, then the abort marker follows them
            producer.abort_transaction(30)


# --- Flink helpers ---------------------------------------------------------------------------------
def rest(env, path: str, method: str = "GET") -> dict:
    req = urllib.request.Request(env["REST_URL"] + path, method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return json.loads(body) if body else {}


# --- tests -----------------------------------------------------------------------------------------
def test_declarations_plain_and_transactional(infra):
    topic = "declarations"
    start = end_offsets(infra, topic)
    assert len(start) == 4, f"declarations should have 4 partitions, has {len(start)}"

    plain = [f"{RUN_ID}:plain:{i}" for i in range(3)]
    producer = Producer(kafka_conf(infra, acks="all"))
    for i, value in enumerate(plain):
        producer.produce(topic, key=f"{RUN_ID}-p{i}".encode(), value=value.encode())
    assert producer.flush(30) == 0, "plain producer could not deliver within 30 s"

    committed = [f"{RUN_ID}:committed:{i}" for i in range(4)]
    aborted = [f"{RUN_ID}:aborted:{i}" for i in range(4)]
    produce_transactions(infra, topic, committed, aborted)

    seen = [v for v in consume(infra, topic, start, "read_committed") if v.startswith(RUN_ID)]
    if sorted(seen) != sorted(plain + committed):
        fail(f"read_committed consumer on {topic}: expected {sorted(plain + committed)}, got {sorted(seen)}")
    # the aborted records are in the log: an uncommitted reader sees them, which makes the check above mean something
    raw = [v for v in consume(infra, topic, start, "read_uncommitted") if v.startswith(RUN_ID)]
    assert sorted(raw) == sorted(plain + committed + aborted), f"read_uncommitted consumer got {sorted(raw)}"


def test_flink_rest_overview(infra):
    overview = rest(infra, "/overview")
    assert overview.get("taskmanagers") == 1, overview
    assert overview.get("slots-total") == int(infra["BF_FLINK_TASK_SLOTS"]) == 2, overview
    assert overview.get("flink-version") == infra["BF_FLINK_VERSION"], overview


def test_pyflink_job_kafka_to_kafka_exactly_once(infra):
    src, dst = f"itest-{RUN_ID}-in", f"itest-{RUN_ID}-out"
    create_topics(infra, src, dst)
    try:
        committed = [f"rec-{i:02d}" for i in range(20)]
        aborted = [f"aborted-{i}" for i in range(5)]
        produce_transactions(infra, src, committed, aborted)

        t0 = time.monotonic()
        submit = stack("flink", "run", "-d", "-py", str(SMOKE_JOB),
                       "--bootstrap", infra["BOOTSTRAP"], "--input", src, "--output", dst, timeout=150)
        found = re.search(r"JobID ([0-9a-f]{32})", submit.stdout)
        if submit.returncode != 0 or not found:
            fail(f"flink run failed (exit {submit.returncode}):\n{submit.stdout[-4000:]}\n{submit.stderr[-4000:]}")
        job_id = found.group(1)
        print(f"\njob {job_id} submitted in {time.monotonic() - t0:.1f}s")

        state, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline:
            state = rest(infra, f"/jobs/{job_id}")["state"]
            if state in ("FINISHED", "FAILED", "CANCELED"):
                break
            time.sleep(1)
        if state != "FINISHED":
            exceptions = rest(infra, f"/jobs/{job_id}/exceptions")
            if state not in ("FAILED", "CANCELED"):
                rest(infra, f"/jobs/{job_id}?mode=cancel", method="PATCH")
            root = (exceptions.get("rootException") or json.dumps(exceptions))[:4000]
            fail(f"job {job_id} ended {state}, not FINISHED, within 120 s:\n{root}")
        print(f"job {job_id} finished {time.monotonic() - t0:.1f}s after submission")

        checkpoints = rest(infra, f"/jobs/{job_id}/checkpoints")["counts"]
        assert checkpoints["completed"] >= 1, f"no completed checkpoint: {checkpoints}"

        tm_pid = (Path(infra["BF_RUN"]) / "pids" / "flink-borderflow-taskexecutor.pid").read_text().split()[0]
        expected = sorted(f"{v.upper()}|pid={tm_pid}|borderflow" for v in committed)
        out = sorted(consume(infra, dst, {}, "read_committed"))
        if out != expected:
            fail(f"{dst} (read_committed): expected {len(expected)} records like {expected[0]!r}, got {len(out)}: {out}")
    finally:
        delete_topics(infra, src, dst)
