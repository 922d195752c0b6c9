"""jobs/metrics.py against a metric group that names metrics the way Flink's Prometheus reporter
does (tests/integration/test_metrics_endpoint.py checks the same names on the real reporter)."""
import math
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs import metrics
from tests.unit.factories import make_declaration
from transforms import intake, ledger, topology
from transforms.reference import load_reference
from transforms.rules import load_ruleset
from transforms.state_machine import DECLARATION, Context, Step


class FakeMetric:
    def __init__(self):
        self.value = 0

    def inc(self, n=1):
        self.value += n

    def dec(self, n=1):
        self.value -= n

    def update(self, value):
        self.value = value


class FakeGroup:
    """Flink's naming: every group name joins the metric name; a key/value group adds a label."""

    def __init__(self, registry, operator="op", scope=("flink", "taskmanager", "job", "task", "operator"), labels=None):
        self.registry, self.operator, self.scope, self.labels = registry, operator, scope, labels or ()

    def add_group(self, name, extra=None):
        # the Prometheus reporter's character filter on label values
        labels = self.labels if extra is None else self.labels + ((name, re.sub(r"[^a-zA-Z0-9:_]", "_", extra)),)
        return FakeGroup(self.registry, self.operator, self.scope + (name,), labels)

    def _register(self, name):
        key = ("_".join(self.scope + (name,)), tuple(sorted(self.labels)), self.operator)
        assert key not in self.registry, f"registered twice: {key}"
        self.registry[key] = FakeMetric()
        return self.registry[key]

    counter = distribution = _register


def series(registry, name):
    full = metrics.PROMETHEUS_PREFIX + name
    return {labels: m.value for (n, labels, _), m in registry.items() if n == full}


def assessment(**overrides):
    record = {"outcome": "ASSESSMENT_COMPLETE", "alert": False, "score": 12.0, "model_score": None,
              "model_version": None, "ruleset_version": "2026.1", "event_time_ms": 1_000_000,
              "processing_time_ms": 1_045_000}
    record.update(overrides)
    return record


def test_every_registered_name_is_declared_and_every_declared_name_is_registered():
    registry = {}
    intake_metrics = metrics.IntakeMetrics(FakeGroup(registry, "DecodeAndValidate"))
    intake_metrics.event_in("declarations")
    intake_metrics.dead_letter("manifests", intake.VALIDATION, "lines[3].hs_code: not 4-10 digits")
    assessor = metrics.CheckMetrics(FakeGroup(registry), topology.ASSESSOR.name, clock_ns=lambda: 10**19)
    assessor.step(None, Step({"status": "open"}), 0, watermark_ms=5)
    assessor.assessment(assessment(model_score=0.4, model_version="m1"), scoring_us=300)
    assessor.ledger.settle("declarations", {ledger.PENDING: 1, ledger.ASSESSED: 1})
    intake_metrics.ledger.accepted("declarations")
    for check in topology.CHECKS:
        metrics.CheckMetrics(FakeGroup(registry, check.name), check.name).use_ruleset("2026.1")
    assert {name for name, _, _ in registry} == metrics.exported_names()


def test_ledger_counters_balance_like_the_ledger():
    """recordsAccepted = sum(recordsSettled) + recordsPending, per stream, from the checks' own
    ledger entries (the runner's known mix of tests/unit/test_ledger.py)."""
    from tests.unit.test_ledger import known_mix
    from transforms.runner import Runner

    inputs, expected = known_mix()
    runner = Runner(now_ms=lambda: 0)
    registry = {}
    book = metrics.LedgerMetrics(FakeGroup(registry).add_group(metrics.GROUP))
    settle = runner.ledger.add
    runner.ledger.add = lambda kind, entries: (settle(kind, entries),
                                               book.settle(ledger.STREAM_OF_KIND[kind], entries))
    for kind, record, t in inputs:
        runner.feed(kind, record, t)
    runner.finish()
    for stream, n in runner.ledger.units_in.items():
        book.accepted(stream, n)
    accepted = series(registry, "stream_recordsAccepted")
    settled = series(registry, "stream_disposition_recordsSettled")
    pending = series(registry, "stream_recordsPending")
    for stream, counts in expected.items():
        label = (("stream", stream),)
        mine = {dict(labels)["disposition"]: v for labels, v in settled.items() if dict(labels)["stream"] == stream}
        assert accepted[label] == counts["units_in"] == sum(mine.values()) + pending.get(label, 0)
        assert mine == {d: n for d, n in counts.items() if d not in ("units_in", ledger.PENDING)}


def test_each_declared_metric_carries_its_labels():
    registry = {}
    metrics.IntakeMetrics(FakeGroup(registry)).dead_letter("container_events", intake.DCSA, "equipmentReference: x")
    metrics.CheckMetrics(FakeGroup(registry), topology.ASSESSOR.name).assessment(assessment())
    for (name, labels, _) in registry:
        base = name[: -len("_le_bucket")] if name.endswith("_le_bucket") else name
        for suffix in ("_count", "_sum"):
            base = base[: -len(suffix)] if base.endswith(suffix) and base not in metrics.METRICS else base
        declared = metrics.METRICS[base]
        extra = {"le"} if name.endswith("_le_bucket") else set()
        assert {k for k, _ in labels} == set(declared.labels) | extra, name


def test_assessments_and_alerts_per_outcome_latency_and_versions():
    registry = {}
    m = metrics.CheckMetrics(FakeGroup(registry), topology.ASSESSOR.name)
    m.assessment(assessment())
    m.assessment(assessment(outcome="CONTROL_ON_ARRIVAL", alert=True, score=88.0, processing_time_ms=1_000_500))
    m.assessment(assessment(outcome="CONTROL_ON_ARRIVAL", alert=True, score=91.0, ruleset_version="2026.2",
                            model_version="gbt-3", model_score=0.93))
    assessments = series(registry, "outcome_assessments")
    assert assessments[(("outcome", "CONTROL_ON_ARRIVAL"),)] == 2
    assert assessments[(("outcome", "ASSESSMENT_COMPLETE"),)] == 1
    assert assessments[(("outcome", "DO_NOT_LOAD"),)] == 0  # every outcome is there from the start
    assert series(registry, "outcome_alerts")[(("outcome", "CONTROL_ON_ARRIVAL"),)] == 2
    # as the reporter writes them: "." and "-" become "_"
    assert series(registry, "ruleset_inUse") == {(("ruleset", "2026_1"),): 0, (("ruleset", "2026_2"),): 1}
    assert series(registry, "model_inUse") == {(("model", "none"),): 0, (("model", "gbt_3"),): 1}
    latency = series(registry, "eventToAssessmentMs_le_bucket")
    assert latency[(("le", "1000"),)] == 1  # 500 ms
    assert latency[(("le", "60000"),)] == 3  # 45 s twice
    assert series(registry, "eventToAssessmentMs_count") == {(): 3}
    assert series(registry, "eventToAssessmentMs_sum") == {(): 45_000 * 2 + 500}
    assert series(registry, "modelScorePercent_le_bucket")[(("le", "90"),)] == 0
    assert series(registry, "modelScorePercent_le_bucket")[(("le", "100"),)] == 1
    assert series(registry, "modelScorePercent_le_bucket")[(("le", "Inf"),)] == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-1e9, max_value=1e10, allow_nan=False), max_size=40))
def test_histogram_buckets_are_cumulative(values):
    registry = {}
    hist = metrics.Histogram(FakeGroup(registry), "h", metrics.EVENT_TO_ASSESSMENT_MS_BUCKETS)
    for v in values:
        hist.observe(v)
    buckets = {float(dict(labels)["le"]): m.value for (name, labels, _), m in registry.items() if name.endswith("_le_bucket")}
    bounds = sorted(buckets)
    assert bounds[-1] == math.inf and buckets[math.inf] == len(values)
    for b in bounds:
        assert buckets[b] == sum(1 for v in values if v <= b)
    assert [buckets[b] for b in bounds] == sorted(buckets[b] for b in bounds)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=60))
def test_keys_in_state_follows_the_keys_holding_state(steps):
    """Keys created minus keys cleared: equals the keys holding state when started from empty."""
    registry = {}
    m = metrics.CheckMetrics(FakeGroup(registry), topology.CHECKS[0].name)
    store = {}
    for key, keep in steps:
        after = {"n": 1} if keep else None
        m.step(store.get(key), Step(after), 0)
        store[key] = after
    assert series(registry, "keysInState") == {(): sum(1 for v in store.values() if v is not None)}


def test_the_assessor_counts_declarations_whose_lifecycle_is_open():
    """The real assessor: two declarations are answered on filing and stay open; one runs its
    timers to the close of its lifecycle (its pre-arrival assessment on the way)."""
    registry = {}
    m = metrics.CheckMetrics(FakeGroup(registry), topology.ASSESSOR.name)
    ctx = Context(ruleset=load_ruleset(None), reference=load_reference())
    store, timers = {}, {}
    for i in range(2):
        decl = make_declaration(declaration_id=f"D{i}", filed_at_ms=1_000 * i + 1_800_000_000_000)
        before = store.get(decl["declaration_id"])
        step = topology.ASSESSOR.on_event(before, DECLARATION, decl, ctx)
        m.step(before, step, 0)
        assert [a["phase"] for a in step.outputs] == ["PRE_LOADING"]
        store[decl["declaration_id"]], timers[decl["declaration_id"]] = step.state, list(step.timers)
    assert series(registry, "awaitingDecision") == {(): 2}
    assert sum(series(registry, "outcome_assessments").values()) == 2
    outputs = []
    pending = sorted(timers["D0"])
    while pending:
        ts = pending.pop(0)
        before = store["D0"]
        step = topology.ASSESSOR.on_timer(before, ts, ctx)
        m.step(before, step, 0)
        store["D0"] = step.state
        outputs += step.outputs
        pending = sorted(set(pending) | {x for x in step.timers if x > ts})
        if step.state["status"] != "open":
            break
    assert [a["phase"] for a in outputs] == ["PRE_ARRIVAL"]
    assert series(registry, "awaitingDecision") == {(): 1}
    assert series(registry, "keysInState") == {(): 2}  # D0 keeps a tombstone until its retention ends
    assert sum(series(registry, "outcome_assessments").values()) == 3
    assert series(registry, "scoringTimeUs_count") == {(): 3}


def test_watermark_lag_is_refreshed_at_most_once_a_second_and_not_before_a_watermark():
    registry = {}
    now = [100 * 10**9]
    m = metrics.CheckMetrics(FakeGroup(registry), topology.CHECKS[1].name, clock_ns=lambda: now[0])
    m.watermark(-(2**63))  # Flink's watermark before the first one: Long.MIN_VALUE
    assert series(registry, "watermarkLagMs") == {(): 0}
    m.watermark(99_000)
    assert series(registry, "watermarkLagMs") == {(): 1_000}
    now[0] += 10**8
    m.watermark(100_000)
    assert series(registry, "watermarkLagMs") == {(): 1_000}  # 0.1 s later: not refreshed
    now[0] += 10**9
    m.watermark(100_000)
    assert series(registry, "watermarkLagMs") == {(): 1_100}


def test_dead_letters_per_stream_reason_and_field_from_real_rejections():
    registry = {}
    m = metrics.IntakeMetrics(FakeGroup(registry))
    rejections = []
    for stream, payload in [("declarations", b"not avro"), ("container_events", b"{not json"),
                            ("container_events", b'{"eventType": "EQUIPMENT"}'), ("nope", b"")]:
        try:
            intake.decode_input(stream, payload)
        except intake.RejectedInput as r:
            rejections.append((stream, r))
            m.event_in(stream)
            m.dead_letter(stream, r.error_kind, r.reason)
    assert len(rejections) == 4
    dead = series(registry, "stream_reason_field_deadLetters")
    assert dead[(("field", "none"), ("reason", "DECODE"), ("stream", "declarations"))] == 1
    assert dead[(("field", "none"), ("reason", "DECODE"), ("stream", "container_events"))] == 1
    assert dead[(("field", "none"), ("reason", "UNKNOWN_STREAM"), ("stream", "nope"))] == 1
    dcsa = [labels for labels in dead if ("reason", "DCSA") in labels]
    assert len(dcsa) == 1 and dict(dcsa[0])["field"] != "none", dead
    assert series(registry, "stream_eventsIn")[(("stream", "nope"),)] == 1


def test_dead_letter_field_drops_indexes_and_values():
    assert metrics.dead_letter_field(intake.VALIDATION, "goods[12].hs_code: '12' is not 6-10 digits") == "goods:hs_code"
    assert metrics.dead_letter_field(intake.VALIDATION, "record: malformed (KeyError: 'x')") == "record"
    assert metrics.dead_letter_field(intake.VALIDATION, "no field here") == "none"
    assert metrics.dead_letter_field(intake.DECODE, "Declaration: corrupt body: x") == "none"
