"""The live job where operations run it: traffic published to the real Kafka broker, the job
submitted to the standalone Flink cluster (infra/stack.sh), assessments read back from the
assessments topic with a read_committed consumer and the published schema. The cluster must give
the same assessments as the embedded run on the same traffic."""
import subprocess
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from borderflow import cluster
from borderflow.produce import produce
from generator.traffic import generate
from jobs.config import JobConfig
from jobs.embedded import run_embedded
from schemas import codec

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _stack(*args, timeout=900):
    return subprocess.run(["bash", str(cluster.STACK), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def stack():
    was_running = _stack("status", timeout=60).returncode == 0
    up = _stack("up")
    if up.returncode != 0:
        _stack("down", timeout=180)
        pytest.fail(f"infra/stack.sh up failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
    yield cluster.stack_env()
    if not was_running:
        _stack("down", timeout=180)


def _topic_end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "itest-offsets"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    finally:
        consumer.close()


INPUT_TOPICS = ("declarations", "manifests", "container-events", "control-results")


def _commit_group_offsets(bootstrap: str, group: str, offsets: dict[str, dict[int, int]]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(t, p, o) for t, parts in offsets.items() for p, o in parts.items()],
                        asynchronous=False)
    finally:
        consumer.close()


def _read_committed(bootstrap: str, topic: str, start: dict[int, int], schema: str, timeout_s: float = 60) -> list[dict]:
    """Decode every committed record from `start` to the end of each partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"itest-read-{time.time_ns()}",
                         "isolation.level": "read_committed", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, p, off) for p, off in start.items()])
        ends = {}
        for p in start:
            ends[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
        records, deadline = [], time.monotonic() + timeout_s
        positions = dict(start)
        while any(positions[p] < ends[p] for p in start) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                # Transaction markers take offsets but are never delivered: trust the position.
                for tp in consumer.position([TopicPartition(topic, p) for p in start]):
                    if tp.offset >= 0:
                        positions[tp.partition] = tp.offset
                continue
            positions[msg.partition()] = msg.offset() + 1
            records.append(codec.decode(schema, msg.value()))
        return records
    finally:
        consumer.close()


def _comparable(assessments):
    return {a["assessment_id"]: (a["outcome"], round(a["score"], 9), a["ruleset_version"], a["random_selection"],
                                 tuple(sorted(e["code"] for e in a["scorecard"])))
            for a in assessments}


def test_cluster_gives_the_embedded_assessments(stack, tmp_path):
    bootstrap = cluster.bootstrap_servers(stack)
    generate(tmp_path / "traffic", days=1, seed=3, declarations_per_day=400)
    embedded = run_embedded(tmp_path / "traffic", tmp_path / "embedded", JobConfig())
    expected = list(codec.read_avro_file(tmp_path / "embedded" / "assessments.avro"))
    assert embedded["assessments"] == len(expected) > 300

    out_start = _topic_end_offsets(bootstrap, "assessments")
    # The topics may hold earlier runs' traffic: the job's group starts where this run's begins.
    run_id = time.time_ns()
    group = f"itest-{run_id}"
    _commit_group_offsets(bootstrap, group, {t: _topic_end_offsets(bootstrap, t) for t in INPUT_TOPICS})
    sent = produce(tmp_path / "traffic", bootstrap, progress=False)
    assert sent == sum(embedded["events_in"].values())

    job_id = cluster.submit(["--bounded", "--group-id", group, "--checkpoint-interval-ms", "2000",
                             "--job-name", f"borderflow-itest-{run_id}"])
    try:
        cluster.wait_for_state(job_id, {"FINISHED"}, timeout_s=300)
    except Exception:
        print(_stack("logs", "80", timeout=60).stdout)
        raise
    on_topic = _read_committed(bootstrap, "assessments", out_start, "RiskAssessment")
    assert len(on_topic) == len({a["assessment_id"] for a in on_topic}), "duplicate assessments on the topic"
    assert _comparable(on_topic) == _comparable(expected)


def _checkpoints_completed(job_id: str) -> int:
    return cluster.rest(f"/jobs/{job_id}/checkpoints")["counts"]["completed"]


def test_taskmanager_killed_mid_run_loses_and_duplicates_nothing(stack, tmp_path):
    """Exactly once: kill -9 the TaskManager after a checkpoint, start a new one, let Flink
    restore; every declaration is assessed exactly once on the topic (read_committed)."""
    bootstrap = cluster.bootstrap_servers(stack)
    generate(tmp_path / "traffic", days=1, seed=4, declarations_per_day=1200)
    run_embedded(tmp_path / "traffic", tmp_path / "embedded", JobConfig())
    expected = list(codec.read_avro_file(tmp_path / "embedded" / "assessments.avro"))

    out_start = _topic_end_offsets(bootstrap, "assessments")
    run_id = time.time_ns()
    group = f"itest-kill-{run_id}"
    _commit_group_offsets(bootstrap, group, {t: _topic_end_offsets(bootstrap, t) for t in INPUT_TOPICS})
    produce(tmp_path / "traffic", bootstrap, progress=False)
    job_id = cluster.submit(["--bounded", "--group-id", group, "--checkpoint-interval-ms", "1000",
                             "--job-name", f"borderflow-itest-kill-{run_id}"])

    deadline = time.monotonic() + 120
    while _checkpoints_completed(job_id) < 1:
        assert cluster.job_state(job_id) == "RUNNING", "job ended before its first checkpoint: make the input larger"
        assert time.monotonic() < deadline, "no checkpoint completed in 120 s"
        time.sleep(0.5)
    pid_file = next((Path(stack["BF_RUN"]) / "pids").glob("flink-*-taskexecutor.pid"))
    tm_pid = int(pid_file.read_text().split()[0])
    subprocess.run(["kill", "-9", str(tm_pid)], check=True)
    assert _stack("up").returncode == 0, "could not start a new TaskManager"

    try:
        cluster.wait_for_state(job_id, {"FINISHED"}, timeout_s=300)
    except Exception:
        print(_stack("logs", "80", timeout=60).stdout)
        raise
    failures = cluster.rest(f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}).get("entries", [])
    assert failures, "the job saw no failure: the TaskManager was killed after it finished"

    on_topic = _read_committed(bootstrap, "assessments", out_start, "RiskAssessment")
    ids = [a["assessment_id"] for a in on_topic]
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicate assessments after the restore"
    assert _comparable(on_topic) == _comparable(expected)
