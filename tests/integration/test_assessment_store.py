"""The assessment store with the real engine: a PyFlink job on the embedded mini-cluster (thread
mode, checkpoints every 300 ms) writes assessments through jobs.assessment_store, fails once after a
checkpoint has committed files, restarts from that checkpoint, and finishes. Read back with
pyarrow, every assessment is there exactly once, equal to what went in, in its event-time day's
folder, and every day is marked complete."""
from __future__ import annotations

import os
import time

import pytest

from jobs.config import JobConfig
from pipelines import assessment_store as reader
from pipelines.archive import day_of
from tests.assessment_samples import sample_assessment

pytestmark = pytest.mark.integration

COUNT, DAYS, FAIL_FROM = 160, 4, 100


class FailOnceAfterACommit:
    """Raises once, at the first record from FAIL_FROM on that finds a committed (visible) Parquet
    file in the store: the restart must then replay what the last checkpoint did not cover."""

    def __init__(self, store: str, marker: str):
        self.store, self.marker = store, marker

    def __call__(self, i):
        time.sleep(0.01)  # pace the source so that several checkpoints complete during the run
        if i >= FAIL_FROM and not os.path.exists(self.marker) and _committed_files(self.store):
            open(self.marker, "w").close()
            raise RuntimeError(f"planted failure at record {i}")
        return sample_assessment(i, COUNT, DAYS)


def _committed_files(store: str) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(store) for f in files if not f.startswith((".", "_"))]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from pyflink.common import Configuration, Duration, Types
    from pyflink.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
    from pyflink.datastream import CheckpointingMode
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource

    from jobs import runtime
    from jobs.assessment_store import attach_assessment_store

    base = tmp_path_factory.mktemp("store")
    path, marker = base / "assessments", base / "failed-once"

    class EventTime(TimestampAssigner):
        def extract_timestamp(self, value, record_timestamp):
            return value["event_time_ms"]

    env = runtime.make_environment(JobConfig())
    env.configure(Configuration()
                  .set_string("restart-strategy.type", "fixed-delay")
                  .set_string("restart-strategy.fixed-delay.attempts", "2")
                  .set_string("restart-strategy.fixed-delay.delay", "200 ms"))
    env.enable_checkpointing(300, CheckpointingMode.EXACTLY_ONCE)
    assessments = (
        # a checkpointed source: a restart resumes where the restored checkpoint left it
        env.from_source(NumberSequenceSource(0, COUNT - 1), WatermarkStrategy.no_watermarks(), "Indexes")
        .map(FailOnceAfterACommit(str(path), str(marker)), output_type=Types.PICKLED_BYTE_ARRAY())
        .assign_timestamps_and_watermarks(
            WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(0)).with_timestamp_assigner(EventTime()))
    )
    attach_assessment_store(env, assessments, path)
    started = time.perf_counter()
    env.execute("assessment-store-test")
    print(f"store job: {time.perf_counter() - started:.1f}s")
    return path, marker


def test_the_job_failed_once_after_files_were_committed(store):
    _, marker = store
    assert marker.exists(), "the planted failure never fired: no checkpoint committed a file in time"


def test_every_assessment_is_stored_exactly_once_as_it_went_in(store):
    path, _ = store
    stored = reader.read_assessments(path)
    ids = [a["assessment_id"] for a in stored]
    assert len(ids) == len(set(ids)) == COUNT
    expected = {a["assessment_id"]: a for a in (sample_assessment(i, COUNT, DAYS) for i in range(COUNT))}
    assert {a["assessment_id"]: a for a in stored} == expected


def test_each_assessment_is_in_its_event_time_day_folder(store):
    path, _ = store
    table = reader.query(path, columns=["assessment_id", "event_time_ms", "day"])
    for row in table.to_pylist():
        assert row["day"] == day_of(row["event_time_ms"]).isoformat(), row
    folders = sorted(p.name for p in path.iterdir() if p.is_dir())
    assert folders == ["day=2026-11-02", "day=2026-11-03", "day=2026-11-04", "day=2026-11-05"]
    assert sorted(table.column("day").to_pylist()).count("2026-11-03") == COUNT // DAYS


def test_files_roll_at_checkpoints_and_days_are_committed(store):
    path, _ = store
    files = _committed_files(str(path))
    # several checkpoints fell inside some day: that day has more than one part file
    assert len(files) > DAYS
    for day in path.iterdir():
        assert (day / "_SUCCESS").exists(), f"{day.name} not marked complete"


def test_queries_filter_by_day_outcome_and_ruleset(store):
    path, _ = store
    expected = [a for a in (sample_assessment(i, COUNT, DAYS) for i in range(COUNT))
                if day_of(a["event_time_ms"]).isoformat() == "2026-11-04" and a["outcome"] == "DO_NOT_LOAD"
                and a["ruleset_version"] == "2026.11"]
    got = reader.read_assessments(path, day="2026-11-04", outcome="DO_NOT_LOAD", ruleset_version="2026.11")
    assert sorted(a["assessment_id"] for a in got) == sorted(a["assessment_id"] for a in expected)
    assert expected


# --- on the standalone cluster: the jars come from its lib/, not from the job -------------------------
def _stack(*args, timeout=900):
    import subprocess

    from borderflow import cluster

    return subprocess.run(["bash", str(cluster.STACK), *args], cwd=cluster.ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_the_store_job_on_the_cluster(tmp_path):
    from borderflow import cluster

    was_running = _stack("status", timeout=60).returncode == 0
    up = _stack("up")
    try:
        assert up.returncode == 0, f"infra/stack.sh up failed:\n{up.stdout}\n{up.stderr}"
        count, days, store = 200, 4, tmp_path / "assessments"
        job = cluster.ROOT / "tests" / "integration" / "store_job.py"
        run = _stack("flink", "run", "-py", str(job), str(store), str(count), str(days), timeout=600)
        assert run.returncode == 0, f"flink run failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        stored = reader.read_assessments(store)
        expected = sorted((sample_assessment(i, count, days) for i in range(count)),
                          key=lambda a: (a["event_time_ms"], a["assessment_id"]))
        assert stored == expected
        assert all((d / "_SUCCESS").exists() for d in store.iterdir())
    finally:
        if not was_running:
            _stack("down", timeout=180)
