"""Monitoring of the live job on a real stack: Kafka + the Flink cluster of infra/stack.sh with the
Prometheus reporter, started on its own ports and run folder (so the default stack, if running,
is left alone), the live job submitted unbounded, a few days of traffic and a few broken
messages published.

(a) the reporter endpoints (JobManager and TaskManager) expose every metric jobs/metrics.py
    declares, with values that agree with what was published;
(b) Prometheus (Debian package `prometheus`), started on a loopback port with the repository's
    config and rules pointed at this stack, evaluates every query of every Grafana dashboard
    panel and every rule without error, and each query returns series.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Consumer, Producer, TopicPartition

from borderflow import cluster, topics
from borderflow.produce import produce_messages
from generator.traffic import DEFAULT_START_MS, generate
from jobs import metrics
from jobs.sources import timed_traffic_messages, topic_of
from schemas import codec
from transforms import intake, ledger
from transforms.rules import load_ruleset
from tests.unit.test_dashboards import FLINK_BUILTIN, metric_names, queries, runnable

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Every port of this stack differs from infra/stack.env's defaults (and from the examples other
# tests use), so it can run beside the default stack.
STACK_ENV = {
    "BF_RUN_DIR": ".cache/infra/run-metrics-itest",
    "BF_KAFKA_PORT": "29392",
    "BF_KAFKA_CONTROLLER_PORT": "29393",
    "BF_FLINK_REST_PORT": "28381",
    "BF_FLINK_RPC_PORT": "26323",
    "BF_FLINK_PROMETHEUS_PORTS": "29349-29350",
}
INPUT_TOPICS = ("declarations", "manifests", "container-events", "control-results")
# Broken messages, published with the traffic: (stream, payload, reason, field).
BROKEN = [
    ("declarations", b"\x00not avro at all", "DECODE", "none"),
    ("container_events", b"{not json", "DECODE", "none"),
    ("container_events", b'{"eventType": "EQUIPMENT"}', "DCSA", None),  # names a field
]
_SAMPLE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _stack(*args, timeout=900):
    return subprocess.run(["bash", str(cluster.STACK), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **STACK_ENV})


def _reporter_ports() -> list[int]:
    first, last = (int(p) for p in STACK_ENV["BF_FLINK_PROMETHEUS_PORTS"].split("-"))
    return list(range(first, last + 1))


def scrape(port: int) -> list[tuple[str, dict, float]]:
    """The samples of one Prometheus text endpoint as (name, labels, value)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable exposition line: {line!r}"
        labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in _LABEL.findall(m.group(2) or "")}
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def scrape_all() -> list[tuple[str, dict, float]]:
    return [s for port in _reporter_ports() for s in scrape(port)]


def of_job(samples, name, job_id):
    # by job_id: the reporter rewrites job_name ("-" becomes "_")
    return [(labels, v) for n, labels, v in samples if n == name and labels.get("job_id") == job_id]


def total(samples, name, job_id, **labels) -> float:
    return sum(v for l, v in of_job(samples, name, job_id) if all(l.get(k) == x for k, x in labels.items()))


def _end_offsets(bootstrap, topic):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "itest-metrics-offsets"})
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
    finally:
        consumer.close()


def _commit(bootstrap, group, offsets):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(t, p, o) for t, parts in offsets.items() for p, o in parts.items()],
                        asynchronous=False)
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def live_job(tmp_path_factory):
    """The stack on its own ports, a week of traffic (the first days get decided: 5-day decision
    delay) plus broken messages, and the live job running unbounded on it."""
    saved = {k: os.environ.get(k) for k in STACK_ENV}
    os.environ.update(STACK_ENV)  # borderflow.cluster reads the stack through infra/stack.sh env
    was_running = _stack("status", timeout=60).returncode == 0
    job_id = None
    try:
        up = _stack("up")
        if up.returncode != 0:
            pytest.fail(f"infra/stack.sh up failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
        env = cluster.stack_env()
        bootstrap = cluster.bootstrap_servers(env)
        traffic = tmp_path_factory.mktemp("metrics") / "traffic"
        generate(traffic, days=7, seed=11, declarations_per_day=50)
        messages = timed_traffic_messages(traffic)
        run_id = time.time_ns()
        group = f"itest-metrics-{run_id}"
        _commit(bootstrap, group, {t: _end_offsets(bootstrap, t) for t in INPUT_TOPICS})
        assert produce_messages(messages, bootstrap, progress=False) == len(messages)
        producer = Producer({"bootstrap.servers": bootstrap})
        for stream, payload, *_ in BROKEN:  # raw: borderflow.produce would reject them itself
            producer.produce(topic_of(stream), value=payload, timestamp=DEFAULT_START_MS)
        assert producer.flush(30) == 0
        del producer
        messages += [(DEFAULT_START_MS, stream, payload) for stream, payload, *_ in BROKEN]
        job_name = f"borderflow-metrics-{run_id}"
        outputs_start = {t: topics.end_offsets(bootstrap, t) for t in ("assessments", "dead-letters")}
        job_id = cluster.submit(["--group-id", group, "--checkpoint-interval-ms", "2000", "--job-name", job_name])
        cluster.wait_for_state(job_id, {"RUNNING"}, timeout_s=120)
        sent = Counter(stream for _, stream, _ in messages)
        # Wait until the job has read everything and assessed the first days.
        deadline, samples = time.monotonic() + 300, []
        while time.monotonic() < deadline:
            assert cluster.job_state(job_id) == "RUNNING", cluster.rest(f"/jobs/{job_id}/exceptions")
            samples = scrape_all()
            if (total(samples, metrics.PROMETHEUS_PREFIX + "stream_eventsIn", job_id) == len(messages)
                    and total(samples, metrics.PROMETHEUS_PREFIX + "outcome_assessments", job_id) > 0):
                break
            time.sleep(2)
        else:
            print(_stack("logs", "60", timeout=60).stdout)
            pytest.fail(f"no assessments counted within 300 s; last scrape had "
                        f"{len(samples)} samples", pytrace=False)
        yield {"job_id": job_id, "job_name": job_name, "sent": sent, "env": env, "messages": messages,
               "bootstrap": bootstrap, "outputs_start": outputs_start}
    finally:
        if job_id is not None:
            try:
                cluster.rest(f"/jobs/{job_id}?mode=cancel", method="PATCH")
            except Exception:  # the stack may be gone already; down stops it anyway
                pass
        if not was_running:
            _stack("down", timeout=180)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def settled_samples(job: str, timeout_s: float = 180) -> list:
    """A scrape once the job's assessment counts stopped moving (two scrapes 3 s apart agree).
    The reporter reads each metric at its own instant, so a job still assessing (the lifecycle
    re-assesses as its watermark moves on) can show a histogram ahead of the counter it is held to."""
    p = metrics.PROMETHEUS_PREFIX
    names = [p + "outcome_assessments"] + [s for h in ("eventToAssessmentMs", "score", "scoringTimeUs")
                                           for s in metrics.histogram_series(h)[:2]]
    deadline, last = time.monotonic() + timeout_s, None
    while True:
        samples = scrape_all()
        now = [total(samples, n, job) for n in names]
        if now == last or time.monotonic() > deadline:
            return samples
        last = now
        time.sleep(3)


def test_reporter_exposes_the_job_metrics_with_sane_values(live_job):
    job = live_job["job_id"]
    samples = settled_samples(job)
    names = {n for n, labels, _ in samples if labels.get("job_id") == job}
    assert metrics.exported_names() <= names, f"missing: {sorted(metrics.exported_names() - names)}"
    assert FLINK_BUILTIN <= {n for n, _, _ in samples}, f"missing: {sorted(FLINK_BUILTIN - {n for n, _, _ in samples})}"
    p = metrics.PROMETHEUS_PREFIX

    # events in per stream: exactly what was published, per stream
    for stream, n in live_job["sent"].items():
        assert total(samples, p + "stream_eventsIn", job, stream=stream) == n, stream
    # dead letters: the broken messages, under their stream, reason and field
    dead = of_job(samples, p + "stream_reason_field_deadLetters", job)
    assert sum(v for _, v in dead) == len(BROKEN)
    for stream, _, reason, field in BROKEN:
        hits = [l for l, v in dead if v and l["stream"] == stream and l["reason"] == reason
                and (l["field"] == field if field else l["field"] != "none")]
        assert hits, (stream, reason, field, dead)

    # assessments and alerts per outcome; the latency and score histograms count each assessment once
    assessed = total(samples, p + "outcome_assessments", job)
    outcomes = {l["outcome"] for l, v in of_job(samples, p + "outcome_assessments", job)}
    assert {"ASSESSMENT_COMPLETE", "CONTROL_ON_ARRIVAL", "HIGH_RISK_SCREENING"} <= outcomes
    assert 0 <= total(samples, p + "outcome_alerts", job) <= assessed
    for hist in ("eventToAssessmentMs", "score", "scoringTimeUs"):
        bucket, count, _ = metrics.histogram_series(hist)
        assert total(samples, count, job) == assessed, hist
        buckets = sorted((float(l["le"]), v) for l, v in of_job(samples, bucket, job))  # "Inf" included
        assert buckets[-1] == (math.inf, assessed)
        assert [v for _, v in buckets] == sorted(v for _, v in buckets), f"{hist} buckets not cumulative"
    # the traffic is dated 2026-11-02..09 while the clock is later: every assessment is "late"
    lag_days = (time.time() * 1000 - DEFAULT_START_MS) / 86_400_000
    assert lag_days > 1
    assert total(samples, p + "eventToAssessmentMs_sum", job) / assessed > 86_400_000
    assert total(samples, p + "scoringTimeUs_sum", job) / assessed < 1_000_000, "scoring takes more than 1 s?"

    # held in state: later days wait for their deadline; watermarks lag the wall clock by days
    assert total(samples, p + "awaitingDecision", job) > 0
    assert total(samples, p + "keysInState", job) >= total(samples, p + "awaitingDecision", job)
    lags = [v for _, v in of_job(samples, p + "watermarkLagMs", job)]
    assert lags and all(86_400_000 < v < lag_days * 86_400_000 for v in lags), lags
    # versions in use
    assert [l["ruleset"] for l, v in of_job(samples, p + "ruleset_inUse", job) if v == 1]
    assert [l["model"] for l, v in of_job(samples, p + "model_inUse", job) if v == 1] == [metrics.NO_MODEL_VERSION]
    # per operator: the keyed checks carry their own operator_name label
    keyed = {l["operator_name"] for l, _ in of_job(samples, p + "keysInState", job)}
    assert {"AssessDeclaration", "CrossCheckConsignment", "CrossCheckContainer"} <= keyed, keyed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prom_get(base: str, path: str, **params) -> dict:
    url = f"{base}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.skipif(not shutil.which("prometheus"), reason="prometheus (Debian package) is not installed")
def test_prometheus_evaluates_every_dashboard_query_against_the_job(live_job, tmp_path):
    config = yaml.safe_load((ROOT / "infra" / "prometheus" / "prometheus.yml").read_text())
    # The repository's config, pointed at this stack's reporter ports and scraping every 3 s (a
    # TaskManager endpoint with a job on a loaded machine can take over a second to answer).
    config["global"].update(scrape_interval="3s", scrape_timeout="3s", evaluation_interval="3s")
    config["rule_files"] = [str(ROOT / "infra" / "prometheus" / f) for f in config["rule_files"]]
    (job,) = config["scrape_configs"]
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{p}" for p in _reporter_ports()]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "w"))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                targets = _prom_get(base, "/api/v1/targets")["data"]["activeTargets"]
                if len(targets) == 2 and all(t["health"] == "up" for t in targets):
                    break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"targets not up: {targets}"
            time.sleep(0.5)
        time.sleep(10)  # rate() over [1m] needs two samples; the recording rules a few evaluations

        failures, empty = {}, list(queries())
        deadline = time.monotonic() + 60  # a scrape that timed out marks the series stale for a moment
        while empty and time.monotonic() < deadline:
            pending, empty = empty, []
            for board, title, ref, expr in pending:
                result = _prom_get(base, "/api/v1/query", query=runnable(expr))
                if result["status"] != "success":
                    failures[(board, title, ref)] = result
                elif not result["data"]["result"]:
                    empty.append((board, title, ref, expr))
            if empty:
                time.sleep(3)
        assert not failures, failures
        assert not empty, f"queries without series: {[(b, t, r, sorted(metric_names(e))) for b, t, r, e in empty]}"

        groups = _prom_get(base, "/api/v1/rules")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        assert len(rules) == sum(len(g["rules"]) for g in yaml.safe_load(
            (ROOT / "infra" / "prometheus" / "rules" / "borderflow.yml").read_text())["groups"])
        assert all(r["health"] != "err" for r in rules), [(r["name"], r.get("lastError")) for r in rules]
        recorded = _prom_get(base, "/api/v1/query", query="borderflow:events_in:rate5m")["data"]["result"]
        assert {s["metric"]["stream"] for s in recorded} >= {"declarations", "manifests", "container_events"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ledger(samples, job) -> dict[str, dict]:
    """Per stream: units accepted, final dispositions and pending, summed over subtasks."""
    p = metrics.PROMETHEUS_PREFIX
    book: dict[str, dict] = {}
    for labels, v in of_job(samples, p + "stream_recordsAccepted", job):
        book.setdefault(labels["stream"], Counter())["accepted"] += v
    for labels, v in of_job(samples, p + "stream_disposition_recordsSettled", job):
        book.setdefault(labels["stream"], Counter())[labels["disposition"]] += v
    for labels, v in of_job(samples, p + "stream_recordsPending", job):
        book.setdefault(labels["stream"], Counter())[ledger.PENDING] += v
    return book


def _unbalanced(book) -> dict:
    return {s: c for s, c in book.items() if c["accepted"] != sum(v for d, v in c.items() if d != "accepted")}


def _settled_ledger(job, until=lambda book: True, timeout_s=120):
    """The ledger once it is balanced and the same on two scrapes in a row (records between
    operators make it briefly unbalanced)."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        book = _ledger(scrape_all(), job)
        if book == last and not _unbalanced(book) and until(book):
            return book
        last = book
        time.sleep(3)
    pytest.fail(f"ledger not balanced and steady within {timeout_s} s: {last}", pytrace=False)


def test_every_accepted_record_is_settled_or_pending_and_late_ones_are_routed(live_job):
    """in = dead-lettered + settled + pending, exactly, per stream, on the running job; then an
    amendment of a declaration already decided comes out as one LATE dead letter, counted."""
    job, bootstrap = live_job["job_id"], live_job["bootstrap"]
    samples = scrape_all()
    p = metrics.PROMETHEUS_PREFIX
    book = _settled_ledger(job)

    good = [intake.decode_input(stream, payload) for _, stream, payload in live_job["messages"]
            if (stream, payload) not in {(s, b) for s, b, *_ in BROKEN}]
    expected_units = Counter()
    for kind, record, _ in good:
        stream = ledger.STREAM_OF_KIND.get(kind, "manifests")
        expected_units[stream] += len(record["lines"]) if kind == intake.MANIFEST else 1
    for stream, sent in live_job["sent"].items():
        dead = total(samples, p + "stream_reason_field_deadLetters", job, stream=stream)
        accepted_messages = sum(1 for kind, _, _ in good if intake.STREAMS[stream][0] == kind)
        assert sent == dead + accepted_messages, stream
        assert book[stream]["accepted"] == expected_units[stream], (stream, book[stream])
    # what is decided on arrival is exact; later days still wait for their decision deadline
    assert book["control_results"] == {"accepted": expected_units["control_results"],
                                       ledger.NOT_USED: expected_units["control_results"]}
    planned = sum(1 for kind, r, _ in good if kind == "container_event" and r.get("event_classifier") != "ACT")
    assert book["container_events"][ledger.NOT_ACTUAL] == planned
    assert book["declarations"][ledger.PENDING] > 0 and book["declarations"][ledger.ASSESSED] > 0
    print("ledger before the late amendment:", {s: dict(c) for s, c in book.items()})

    # A late amendment: of a declaration the job has decided already.
    assessed = [codec.decode("RiskAssessment", m.value()) for m in
                topics.read_range(bootstrap, "assessments", live_job["outputs_start"]["assessments"])]
    # A lifecycle closes state_retention after the expected arrival, then keeps a tombstone for
    # another state_retention: the amendment must hit a declaration closed and not yet forgotten,
    # by the assessor's watermark now (the traffic is all read: it stands still).
    retention = load_ruleset().state_retention_ms
    lag = next(v for l, v in of_job(scrape_all(), metrics.PROMETHEUS_PREFIX + "watermarkLagMs", job)
               if l["operator_name"].startswith("AssessDeclaration"))
    watermark = time.time() * 1000 - lag
    # (the gauge is the watermark at the operator's last call: at most the watermark now) the
    # latest lifecycle to close by then: closed, and the least likely to be forgotten
    finals = [a for a in assessed if a["declaration_id"] and a["phase"] == "PRE_ARRIVAL"
              and a["expected_arrival_ms"] + retention < watermark]
    assert finals, "no lifecycle closed"
    pick = max(finals, key=lambda a: a["expected_arrival_ms"])["declaration_id"]
    original = next(r for kind, r, _ in good if kind == "declaration" and r["declaration_id"] == pick)
    late = {**original, "version": original["version"] + 1, "message_type": "AMENDMENT",
            "filed_at_ms": original["filed_at_ms"] + 3_600_000}
    payload = codec.encode("Declaration", late)
    assert produce_messages([(late["filed_at_ms"], "declarations", payload)], bootstrap, progress=False) == 1

    book = _settled_ledger(job, until=lambda b: b["declarations"][ledger.LATE] == 1)
    assert book["declarations"]["accepted"] == expected_units["declarations"] + 1
    deadline, letters = time.monotonic() + 60, []
    while not letters and time.monotonic() < deadline:
        letters = [codec.decode("DeadLetter", m.value()) for m in
                   topics.read_range(bootstrap, "dead-letters", live_job["outputs_start"]["dead-letters"])]
        letters = [d for d in letters if d["error_kind"] == intake.LATE]
        time.sleep(2)
    assert len(letters) == 1, letters
    (letter,) = letters
    assert letter["source_topic"] == "declarations"
    assert "after the declaration was closed" in letter["reason"]
    again = codec.decode("Declaration", letter["raw"])
    assert (again["declaration_id"], again["version"]) == (late["declaration_id"], late["version"])
