"""Faults and long runs of the live job on a real stack: Kafka + the Flink cluster of infra/stack.sh,
started by this module on its own ports and run folder (so a default stack, or another test's
stack, running beside it is left alone), and stopped at the end.

1. The Kafka broker goes away during a run, twice: stopped (SIGTERM, a clean shutdown) and later
   killed (kill -9, a crash), each time started again (`infra/stack.sh kafka stop|kill|start`),
   while the job runs (exactly-once Kafka sink, checkpoints every second) and traffic is being
   published. The job rides it out or fails over from its last checkpoint (restart strategy:
   jobs/cluster_job.py); the test's producer (idempotent, like borderflow.produce) keeps what it
   produced into the outage and retries it. At the end the job is drained: a read_committed
   consumer of the assessments topic finds every declaration assessed exactly once, as the
   reference runner assesses the same input.
2. State stays bounded: a steady stream over many more event-time days than the checks' state
   horizon (tests/unit/test_state_bounded.py: 14 days with the default rule set; the same stream
   as there). The job's checkpointed state size (Flink REST /jobs/<id>/checkpoints) and its keys
   in state level off after the first horizon while the events it has read keep growing. There is
   no state TTL (PyFlink 2.2 thread mode cannot build one in a TaskManager): the checks' event-time
   cleanup timers are what keeps the state bounded.
"""
from __future__ import annotations

import bisect
import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from borderflow import cluster, topics
from borderflow.produce import message_key
from generator.traffic import generate
from jobs import metrics
from jobs.sources import timed_traffic_messages, topic_of
from schemas import codec
from tests.integration.test_metrics_endpoint import scrape
from tests.unit.test_state_bounded import (GROWTH_LIMIT, STEADY_DAYS as STATE_DAYS, STEADY_PER_DAY as STATE_PER_DAY,
                                           STEADY_SEED as STATE_SEED, at_horizon_and_last_third, state_horizon_ms)
from transforms import intake
from transforms.rules import load_ruleset
from transforms.runner import run_in_memory

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Every port differs from infra/stack.env's defaults and from the other tests' stacks
# (test_metrics_endpoint: 29392/29393, 28381, 26323, 29349-29350).
STACK_ENV = {
    "BF_RUN_DIR": ".cache/infra/run-faults-itest",
    "BF_KAFKA_PORT": "29492",
    "BF_KAFKA_CONTROLLER_PORT": "29493",
    "BF_FLINK_REST_PORT": "28481",
    "BF_FLINK_RPC_PORT": "26423",
    "BF_FLINK_PROMETHEUS_PORTS": "29449-29450",
}
DAY_MS = 86_400_000
KEYED_OPERATORS = ("CrossCheckConsignment", "CrossCheckContainer", "PartyBehaviour", "AssessDeclaration")


def _stack(*args, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(cluster.STACK), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **STACK_ENV})


@pytest.fixture(scope="module")
def stack():
    saved = {k: os.environ.get(k) for k in STACK_ENV}
    os.environ.update(STACK_ENV)  # borderflow.cluster reads the stack through `infra/stack.sh env`
    try:
        # This module's own run folder, fresh: no topics, rule sets or checkpoints of earlier runs.
        clean = _stack("clean", timeout=300)
        assert clean.returncode == 0, f"infra/stack.sh clean failed:\n{clean.stdout}\n{clean.stderr}"
        started = time.monotonic()
        up = _stack("up")
        if up.returncode != 0:
            pytest.fail(f"infra/stack.sh up failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
        print(f"\nstack up on its own ports in {time.monotonic() - started:.0f} s")
        yield cluster.stack_env()
    finally:
        down = _stack("down", timeout=300)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        assert down.returncode == 0, f"infra/stack.sh down failed:\n{down.stdout}\n{down.stderr}"


def _logs() -> str:
    return _stack("logs", "60", timeout=60).stdout


def _wait(condition, what: str, timeout_s: float = 180, every_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s:.0f} s waiting for {what}"
        time.sleep(every_s)


# The REST helpers take the stack's env: without it borderflow.cluster runs `infra/stack.sh env` per call.
def _tasks_running(job_id: str, env: dict) -> bool:
    return all(v["status"] == "RUNNING" for v in cluster.rest(f"/jobs/{job_id}", env)["vertices"])


def _checkpoints_completed(job_id: str, env: dict) -> int:
    return cluster.rest(f"/jobs/{job_id}/checkpoints", env)["counts"]["completed"]


class Reporter:
    """The job's live metrics from the Prometheus reporter of this stack (the REST API's are up to
    10 s old): scrapes the TaskManager's port once it has found it."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        first, last = (int(p) for p in STACK_ENV["BF_FLINK_PROMETHEUS_PORTS"].split("-"))
        self.ports = list(range(first, last + 1))

    def now(self) -> dict:
        """events read, keys in keyed state, assessments made, the keyed operators' event-time
        watermark (None before there is one) and each input partition's last offset read."""
        out = {"events": 0.0, "keys": 0.0, "assessments": 0.0, "watermark": None, "offsets": {}}
        watermarks = []
        for port in list(self.ports):
            try:
                samples = scrape(port)
            except OSError:
                continue
            mine = [(name, labels, value) for name, labels, value in samples
                    if labels.get("job_id") == self.job_id and name.startswith("flink_taskmanager_job_task_operator_")]
            if mine and len(self.ports) > 1:
                self.ports = [port]
            for name, labels, value in mine:
                if name == metrics.PROMETHEUS_PREFIX + "stream_eventsIn":
                    out["events"] += value
                elif name == metrics.PROMETHEUS_PREFIX + "keysInState":
                    out["keys"] += value
                elif name == metrics.PROMETHEUS_PREFIX + "outcome_assessments":
                    out["assessments"] += value
                elif (name == "flink_taskmanager_job_task_operator_currentOutputWatermark"  # the event time its
                      and labels.get("operator_name") in KEYED_OPERATORS):  # timers reached (the input's ignores idleness)
                    watermarks.append(value)
                elif name == "flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset":
                    out["offsets"][(labels["topic"].replace("_", "-"), int(labels["partition"]))] = value
        if len(watermarks) == len(KEYED_OPERATORS) and min(watermarks) > 0:
            out["watermark"] = min(watermarks)
        return out

    def read_up_to(self, start: dict[str, dict[int, int]], ends: dict[str, dict[int, int]]) -> bool:
        """Whether the job's sources have read every input record from `start` to `ends`."""
        offsets = self.now()["offsets"]
        return all(ends[t][p] == start[t][p] or offsets.get((t, p), -1) >= ends[t][p] - 1 for t in ends for p in ends[t])


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _past_start_ms(days: int) -> int:
    """A start for `days` of generated traffic that lies wholly in the past: the broker refuses
    records timestamped more than an hour ahead of its clock (Kafka 4's
    log.message.timestamp.after.max.ms), and the record timestamp is the event time. A Monday,
    midnight UTC, like generator.traffic.DEFAULT_START_MS: the same arguments then give the same
    traffic (weekly rhythm included) whatever the day the test runs, shifted by whole weeks."""
    day = int(time.time() * 1000) // DAY_MS - days - 10
    day -= (day - 4) % 7  # 1970-01-05, epoch day 4, was a Monday
    return day * DAY_MS


def _comparable(assessments):
    # as tests/integration/test_cluster_job.py compares the cluster's assessments with a reference
    return {a["assessment_id"]: (a["outcome"], round(a["score"], 9), a["ruleset_version"], a["random_selection"],
                                 tuple(sorted(e["code"] for e in a["scorecard"])))
            for a in assessments}


# --- 1. the broker stopped and killed during a run -------------------------------------------------
FAULT_DAYS, FAULT_PER_DAY, FAULT_SEED = 14, 50, 31  # decisions (5 days after filing) flow from day 5 on
RATE = 100  # messages per second: well below the ~400 the job sustains here
# (how, share of the traffic published when the broker goes away): a clean stop, then a crash, both
# while assessments are being decided and committed
FAULTS = (("stop", 0.45), ("kill", 0.75))
PRODUCE_INTO_OUTAGE_S = 2  # the producer keeps producing this long into each outage, then waits for the broker
DOWN_AT_LEAST_S = 3  # the broker stays down at least this long, then takes its start-up time (10-60 s here) to come back
# An input partition without records for --idle-partition-ms (60 s by default) stops holding back the
# watermark. A broker outage stops every partition at once; one longer than that timeout makes them
# all idle, and after it the first partitions to deliver again carry the watermark past records the
# others still hold: those come late and the assessments differ from the reference (seen once here:
# the killed broker took 60 s to come back, 16 of 704 assessments lacked container evidence). The
# job is given a timeout no outage of this test reaches (a broker start takes 10-60 s here).
FAULT_IDLE_PARTITION_MS = 300_000


class PacedProducer(threading.Thread):
    """Publishes (event_time_ms, stream, payload) messages at `rate` the way borderflow.produce does
    (idempotent producer, record timestamp = event time, same keys), except that production waits
    while `gate` is closed, and `halt()` ends it early (a failed test). What was produced before
    the gate closed is in the producer's queue or in flight: the client retries it until the
    broker is back (message.timeout.ms is well above an outage)."""

    def __init__(self, messages, bootstrap: str, rate: float):
        super().__init__(daemon=True)
        self.messages, self.bootstrap, self.rate = messages, bootstrap, rate
        self.gate = threading.Event()
        self.gate.set()
        self._halt = threading.Event()
        self.produced = 0  # handed to the client
        self.acked = 0
        self.errors: list[str] = []
        self.failure: BaseException | None = None

    def halt(self):
        self._halt.set()
        self.gate.set()
        if self.is_alive():
            self.join(timeout=30)

    def _on_delivery(self, err, _msg):
        if err is not None:
            self.errors.append(str(err))
        else:
            self.acked += 1

    def run(self):
        from confluent_kafka import Producer

        try:
            producer = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                                 "linger.ms": 20, "compression.type": "lz4", "message.timeout.ms": 300_000})
            started = time.perf_counter()
            for i, (event_time_ms, stream, payload) in enumerate(self.messages):
                if not self.gate.is_set():
                    paused = time.perf_counter()
                    while not self.gate.wait(0.1):
                        producer.poll(0)
                    started += time.perf_counter() - paused  # pace on, no burst after the pause
                if self._halt.is_set():
                    producer.purge()
                    return
                while True:
                    try:
                        producer.produce(topic_of(stream), value=payload, key=message_key(stream, payload),
                                         timestamp=event_time_ms, on_delivery=self._on_delivery)
                        break
                    except BufferError:
                        producer.poll(0.1)
                self.produced = i + 1
                producer.poll(0)
                ahead = (i + 1) / self.rate - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)
            while producer.flush(1) and not self._halt.is_set():
                pass
        except BaseException as exc:  # reported by the test
            self.failure = exc


def test_broker_stopped_and_killed_mid_run_loses_and_duplicates_nothing(stack, tmp_path):
    bootstrap = cluster.bootstrap_servers(stack)
    kafka_port = int(stack["BF_KAFKA_PORT"])
    generate(tmp_path / "traffic", days=FAULT_DAYS, seed=FAULT_SEED, declarations_per_day=FAULT_PER_DAY,
             start_ms=_past_start_ms(FAULT_DAYS))
    messages = timed_traffic_messages(tmp_path / "traffic")

    out_start = topics.end_offsets(bootstrap, "assessments")
    in_start = {t: topics.end_offsets(bootstrap, t) for t in topics.INPUT_TOPICS}
    run_id = time.time_ns()
    group, name = f"itest-faults-{run_id}", f"borderflow-itest-faults-{run_id}"
    topics.commit_group_offsets(bootstrap, group, in_start)
    job_id = cluster.submit(["--group-id", group, "--checkpoint-interval-ms", "1000", "--job-name", name,
                             "--idle-partition-ms", str(FAULT_IDLE_PARTITION_MS)])
    producer = PacedProducer(messages, bootstrap, RATE)
    reporter = Reporter(job_id)
    faults = []
    started = time.monotonic()
    try:
        _wait(lambda: _tasks_running(job_id, stack), "the job's tasks to run")
        producer.start()
        checkpoints = 0
        for how, share in FAULTS:
            _wait(lambda: producer.produced >= share * len(messages) or producer.failure, f"{share:.0%} of the traffic")
            assert producer.failure is None, producer.failure
            # Something to lose: the job running, a checkpoint since the broker (re)started, and
            # before the first fault assessments committed. The traffic waits meanwhile, so the
            # faults come at the same point of it whatever these take.
            producer.gate.clear()
            assert cluster.job_state(job_id, stack) == "RUNNING"
            _wait(lambda: _checkpoints_completed(job_id, stack) > checkpoints, "a checkpoint before the fault", 60)
            if not faults:
                _wait(lambda: reporter.now()["assessments"] > 0, "the first assessments", 120)
                decided = _checkpoints_completed(job_id, stack)
                _wait(lambda: _checkpoints_completed(job_id, stack) > decided + 1, "the first assessments committed", 60)
                committed = len(topics.read_range(bootstrap, "assessments", out_start, timeout_s=30))
                assert committed > 0
            producer.gate.set()
            time.sleep(1)  # traffic flowing (and in flight) when the broker goes
            at = producer.produced
            down = time.monotonic()
            result = _stack("kafka", how, timeout=120)
            assert result.returncode == 0, f"infra/stack.sh kafka {how}:\n{result.stdout}\n{result.stderr}"
            assert not _port_open(kafka_port), "the broker still accepts connections"
            time.sleep(PRODUCE_INTO_OUTAGE_S)
            producer.gate.clear()
            into_outage = producer.produced - at
            time.sleep(max(0.0, DOWN_AT_LEAST_S - (time.monotonic() - down)))
            result = _stack("kafka", "start", timeout=300)
            assert result.returncode == 0, f"infra/stack.sh kafka start:\n{result.stdout}\n{result.stderr}"
            downtime = time.monotonic() - down
            checkpoints = _checkpoints_completed(job_id, stack)
            producer.gate.set()
            assert downtime * 1000 < FAULT_IDLE_PARTITION_MS - 60_000, f"the broker was down {downtime:.0f} s"
            faults.append({"how": how, "at_message": at, "downtime_s": downtime, "produced_into_outage": into_outage})
            print(f"fault {len(faults)}: broker {'stopped (SIGTERM)' if how == 'stop' else 'killed (kill -9)'} "
                  f"after {at} of {len(messages)} messages{f' ({committed} assessments committed)' if len(faults) == 1 else ''}"
                  f", down {downtime:.1f} s, {into_outage} messages produced while it stopped or was down")
        producer.join(timeout=300)
        assert not producer.is_alive(), "the producer did not finish"
        assert producer.failure is None, producer.failure
        assert producer.errors == [] and producer.acked == len(messages), \
            f"{len(messages) - producer.acked} messages not delivered: {producer.errors[:3]}"
        ends = {t: topics.end_offsets(bootstrap, t) for t in topics.INPUT_TOPICS}
        # (not by the group's committed offsets: after the broker's crash the sources' offset commits
        # can hang for minutes, harmlessly: the offsets the job relies on are in its checkpoints)
        _wait(lambda: cluster.job_state(job_id, stack) != "RUNNING" or reporter.read_up_to(in_start, ends),
              "the job to read everything", 240)
        state = cluster.job_state(job_id, stack)
        assert state == "RUNNING", \
            f"job {state}: {cluster.rest(f'/jobs/{job_id}/exceptions', stack).get('root-exception', '')[:3000]}"
        restarts = int(cluster.rest(f"/jobs/{job_id}/metrics?get=numRestarts", stack)[0]["value"])
        checkpoint_stats = cluster.rest(f"/jobs/{job_id}/checkpoints", stack)
        # the end of the run: drain decides every declaration still open
        cluster.stop_with_savepoint(job_id, "file://" + str(tmp_path / "savepoints"), drain=True)
        cluster.wait_for_state(job_id, {"FINISHED"}, timeout_s=120)
    except Exception:
        print(_logs())
        raise
    finally:
        producer.halt()
        if not _port_open(kafka_port):  # a failure mid-fault: the next test needs the broker
            _stack("kafka", "start", timeout=300)
        if cluster.job_state(job_id, stack) in ("RUNNING", "RESTARTING", "CREATED", "INITIALIZING"):
            cluster.cancel(job_id)
    elapsed = time.monotonic() - started
    failures = cluster.rest(f"/jobs/{job_id}/exceptions", stack).get("exceptionHistory", {}).get("entries", [])

    # The input as published: nothing lost. A broker crash can leave duplicates even behind an
    # idempotent producer (seen here: the batch in flight at the kill -9 appended twice, after the
    # single-node broker recovered every partition by unclean election); the checks ignore a record
    # re-sent, and the reference gets the input as the job did, duplicates included.
    on_input = Counter((m.topic(), m.value()) for t in topics.INPUT_TOPICS
                       for m in topics.read_range(bootstrap, t, in_start[t], isolation="read_uncommitted"))
    sent = Counter((topic_of(stream), payload) for _, stream, payload in messages)
    missing, duplicated = sent - on_input, on_input - sent
    assert not missing, f"{sum(missing.values())} of {len(messages)} messages missing from the input topics"
    published = []
    for event_time_ms, stream, payload in messages:
        copies = 1 + duplicated.pop((topic_of(stream), payload), 0)
        published += [(event_time_ms, stream, payload)] * copies
    expected = run_in_memory([intake.decode_input(stream, payload) for _, stream, payload in published])
    assert len(expected) >= FAULT_DAYS * FAULT_PER_DAY
    on_topic = [codec.decode("RiskAssessment", m.value()) for m in topics.read_range(bootstrap, "assessments", out_start)]
    ids = [a["assessment_id"] for a in on_topic]
    print(f"broker faults: {len(faults)} ({', '.join(f['how'] for f in faults)}), downtime "
          f"{sum(f['downtime_s'] for f in faults):.0f} s in all; job restarts {restarts}, failures seen "
          f"{len(failures)}{': ' + '; '.join(e['exceptionName'] for e in failures) if failures else ''}; "
          f"{len(messages)} messages in ({len(published) - len(messages)} duplicated on the input topics), "
          f"{len(on_topic)} assessments on the topic (read_committed), "
          f"{len(expected)} expected; {elapsed:.0f} s from the first message to the drained end; checkpoints "
          f"{checkpoint_stats['counts']}, the longest {checkpoint_stats['summary']['end_to_end_duration']['max'] / 1000:.1f} s")
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} duplicate assessments after the broker faults"
    got, want = _comparable(on_topic), _comparable(expected)
    assert got.keys() == want.keys(), (f"{len(want.keys() - got.keys())} declarations lost, "
                                       f"{len(got.keys() - want.keys())} not in the reference")
    differing = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not differing, f"{len(differing)} assessments differ from the reference, e.g. {list(differing.items())[:3]}"


# --- 2. state stays bounded over many horizons -------------------------------------------------------
STATE_RATE = 150  # messages per second: a rate the job keeps up with
POLL_S = 1.0


def _interpolate(polls: list[tuple], wall_ms: float, column: int, max_gap_ms: float) -> float | None:
    """Column `column` of the polls (wall ms first) at `wall_ms`, linearly between the polls around
    it; None if there is none within `max_gap_ms` on either side, or either has no value."""
    i = bisect.bisect_left([p[0] for p in polls], wall_ms)
    if i == 0 or i == len(polls):
        return None
    (w0, x0), (w1, x1) = (polls[i - 1][0], polls[i - 1][column]), (polls[i][0], polls[i][column])
    if wall_ms - w0 > max_gap_ms or w1 - wall_ms > max_gap_ms or x0 is None or x1 is None:
        return None
    return x0 + (x1 - x0) * (wall_ms - w0) / max(w1 - w0, 1)


def test_checkpointed_state_levels_off_over_many_horizons(stack, tmp_path):
    """The checks keep about a horizon of event time behind the watermark (their cleanup timers
    fire as it passes) plus what the job has read ahead of it. The watermark is the minimum over
    the input partitions, and here the control-results partition is sparse (a control every day
    or so, gaps of up to 3 days): until its next record, or until it has been idle for a minute
    of wall time, it holds the watermark back, and the state grows by what comes in meanwhile,
    then drops when the watermark jumps. So the state is compared per event-time day it may
    hold: min(time read, horizon + how far the watermark is behind the events read)."""
    bootstrap = cluster.bootstrap_servers(stack)
    horizon = state_horizon_ms(load_ruleset())
    span = STATE_DAYS * DAY_MS
    assert span >= 2.2 * horizon
    start_ms = _past_start_ms(STATE_DAYS)
    generate(tmp_path / "traffic", days=STATE_DAYS, seed=STATE_SEED, declarations_per_day=STATE_PER_DAY,
             start_ms=start_ms, peak_day=None)
    messages = timed_traffic_messages(tmp_path / "traffic")
    event_times = [t - start_ms for t, _, _ in messages]

    run_id = time.time_ns()
    group, name = f"itest-state-{run_id}", f"borderflow-itest-state-{run_id}"
    topics.start_group_at_ends(bootstrap, group)
    job_id = cluster.submit(["--group-id", group, "--checkpoint-interval-ms", "1000", "--job-name", name])
    producer = PacedProducer(messages, bootstrap, STATE_RATE)
    polls, checkpoints = [], {}  # polls: (wall ms, events read, keys in state, watermark)
    reporter = Reporter(job_id)
    try:
        _wait(lambda: _tasks_running(job_id, stack), "the job's tasks to run")
        started = time.monotonic()
        producer.start()
        done_at = None
        while done_at is None or not any(c["trigger"] > done_at for c in checkpoints.values()):
            assert time.monotonic() - started < 300, "the run took more than 300 s"
            assert producer.failure is None, producer.failure
            poll_started = time.monotonic()
            before = time.time() * 1000
            now = reporter.now()
            events = now["events"]
            polls.append(((before + time.time() * 1000) / 2, events, now["keys"], now["watermark"]))
            history = cluster.rest(f"/jobs/{job_id}/checkpoints", stack)["history"]
            if len(polls) % 10 == 0:
                assert cluster.job_state(job_id, stack) == "RUNNING"
            for c in history:
                if c["status"] == "COMPLETED" and c["id"] not in checkpoints:
                    checkpoints[c["id"]] = {"trigger": c["trigger_timestamp"], "state_size": c["state_size"],
                                            "checkpointed_size": c["checkpointed_size"]}
            if len(polls) % 15 == 0:
                print(f"{time.monotonic() - started:.0f} s: {producer.acked} of {len(messages)} messages published, "
                      f"{events:.0f} read by the job, {len(checkpoints)} checkpoints")
            if done_at is None and not producer.is_alive() and events >= len(messages):
                done_at = time.time() * 1000  # the job has read everything: one more checkpoint, then stop
            time.sleep(max(0.0, POLL_S - (time.monotonic() - poll_started)))
        elapsed = time.monotonic() - started
        assert producer.acked == len(messages) and not producer.errors, producer.errors[:3]
        latest = max(checkpoints)
        try:
            tasks = cluster.rest(f"/jobs/{job_id}/checkpoints/details/{latest}", stack)["tasks"]
            names = {v["id"]: v["name"].split(" ")[0] for v in cluster.rest(f"/jobs/{job_id}", stack)["vertices"]}
            per_operator = {names[v]: t["state_size"] for v, t in tasks.items() if t["state_size"] > 1000}
        except OSError:  # a checkpoint's details can be gone from the REST cache: only for the print
            per_operator = {}
        assert cluster.job_state(job_id, stack) == "RUNNING"
    except Exception:
        print(_logs())
        raise
    finally:
        producer.halt()
        if cluster.job_state(job_id, stack) in ("RUNNING", "RESTARTING", "CREATED", "INITIALIZING"):
            cluster.cancel(job_id)

    # Each checkpoint at the event time the job had reached when it was taken: the events read by
    # then (the reporter's count at its trigger time: the time of the last of them), and the
    # keyed operators' watermark then.
    samples = []
    for cid, c in sorted(checkpoints.items()):
        events = _interpolate(polls, c["trigger"], 1, max_gap_ms=5000)
        if not events:
            continue  # before the first event, or no poll near it
        events = min(round(events), len(messages))
        t = event_times[events - 1]
        # No watermark yet (an input partition without records holds it back): no timer has fired.
        watermark = _interpolate(polls, c["trigger"], 3, max_gap_ms=5000)
        lag = t if watermark is None else max(0.0, t - (watermark - start_ms))
        held = min(t, horizon + lag)  # event time the checks may be holding state for
        samples.append({"id": cid, "t": t, "events": events, "lag": lag, "held": held,
                        "keys": _interpolate(polls, c["trigger"], 2, max_gap_ms=5000), **c})
    print(f"\n{len(messages)} messages over {STATE_DAYS} days of event time in {elapsed:.0f} s, "
          f"{len(checkpoints)} checkpoints, {len(polls)} polls; state horizon {horizon / DAY_MS:g} days")
    print(f"{'chk':>5}{'day':>7}{'lag d':>7}{'events':>8}{'keys':>7}{'state B':>10}{'B/day held':>11}")
    for s in samples:
        print(f"{s['id']:>5}{s['t'] / DAY_MS:>7.2f}{s['lag'] / DAY_MS:>7.2f}{s['events']:>8}{s['keys']:>7.0f}"
              f"{s['state_size']:>10}{s['state_size'] / (s['held'] / DAY_MS):>11.0f}")
    print(f"last checkpoint {latest} by operator: {per_operator}")

    assert samples and samples[-1]["t"] >= span - DAY_MS, "no checkpoint near the end of the traffic"
    # RocksDB checkpoints incrementally: state_size is the whole state, checkpointed_size what this
    # checkpoint added; the whole state is what must level off
    assert all(0 < s["checkpointed_size"] <= s["state_size"] for s in samples)
    for what in ("state_size", "keys"):
        at_horizon, last = at_horizon_and_last_third(samples, span, horizon, lambda s: s[what])
        assert len(last) >= 5, f"only {len(last)} checkpoints in the last third"

        def allowed(s):  # GROWTH_LIMIT x the state by the first horizon, for a horizon + the watermark's lag
            return GROWTH_LIMIT * at_horizon * (horizon + s["lag"]) / horizon

        peak = max(last, key=lambda s: s[what])
        worst = max(last, key=lambda s: s[what] / allowed(s))
        print(f"{what}: {at_horizon:.0f} by day {horizon / DAY_MS:g}; from day {last[0]['t'] / DAY_MS:.1f} to "
              f"{last[-1]['t'] / DAY_MS:.1f} at most {peak[what]:.0f} ({peak[what] / at_horizon:.2f}x, watermark "
              f"{peak['lag'] / DAY_MS:.1f} days behind the events read); at most "
              f"{worst[what] / allowed(worst) * GROWTH_LIMIT:.2f}x of the state by the first horizon per day held")
        assert worst[what] <= allowed(worst), (
            f"{what} grew to {worst[what]:.0f} on day {worst['t'] / DAY_MS:.1f}: over {GROWTH_LIMIT}x the "
            f"{at_horizon:.0f} held by day {horizon / DAY_MS:g}, with the watermark {worst['lag'] / DAY_MS:.1f} days behind")
        # a plateau reached from below: in the first quarter horizon the job held far less
        early = [s[what] for s in samples if s["t"] <= horizon / 4]
        assert early and min(early) < 0.5 * at_horizon, (what, early, at_horizon)
    # ... while the events read keep growing with event time (over the filing days: the voyages'
    # events go on, thinning out, for weeks after the last filing)
    first = next(s for s in samples if s["t"] >= horizon)
    end = max((s for s in samples if s["t"] <= span), key=lambda s: s["t"])
    assert end["events"] >= 0.9 * (end["t"] / first["t"]) * first["events"], (first, end)
