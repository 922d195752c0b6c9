"""Metrics of the live job, registered with Flink's metric system (exported by the Prometheus
reporter the cluster configures, infra/stack.sh; Grafana dashboards in infra/grafana/).

The operators in jobs/functions.py own one object each:

    IntakeMetrics(runtime_context.get_metrics_group())      DecodeAndRoute (one per input topic)
        .event_in(stream)  .dead_letter(stream, rejection)
    CheckMetrics(runtime_context.get_metrics_group(), name)  RunKeyedCheck (every keyed check)
        .step(state_before, step, started_ns, watermark_ms)  after each on_event / on_timer
        .use_ruleset(version)                                when a rule set comes into use
        .ledger.settle(stream, step.ledger)                  the owner's dispositions (transforms.ledger)

Naming. Flink names an operator metric after its groups: `group.add_group("borderflow")
.add_group("stream", "declarations").counter("eventsIn")` is exported as
`flink_taskmanager_job_task_operator_borderflow_stream_eventsIn{stream="declarations", ...}`
(a key/value group adds its key to the name and a label key=value; Flink adds job, task,
operator_name and subtask_index labels). `METRICS` lists every exported name with its labels;
dashboards and tests check their queries against it.

PyFlink (thread mode) has counters, meters and a "distribution" that is in fact a settable long
gauge (org.apache.flink.python.metric.embedded.MetricDistribution), but no histogram. Histograms
are therefore Prometheus-style cumulative bucket counters (`<name>_le_bucket{le="..."}`, plus
`<name>_count` and `<name>_sum`), so `histogram_quantile` works on them. The reporter rewrites
every character of a label value outside [A-Za-z0-9:_] as "_" (job names, versions too), so
bucket bounds are integers and the last is "Inf" (Prometheus reads it as +Inf; "+Inf" would
arrive as "_Inf"); gauges are set from the
operator (a Python gauge callback would be called by the reporter's thread, outside the
operator's interpreter thread). In process mode a distribution is a Beam distribution, which the
Prometheus reporter does not export: the gauges (watermarkLagMs, *_inUse) need thread mode, the
default everywhere here.

Counts live in the operator instance: after a restart from a checkpoint they start again from 0
(Prometheus' rate() handles counter resets); `keysInState` counts keys created minus keys
cleared since the operator started, so after a restore it undercounts the restored keys until
they are cleared (it can go below 0).
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from transforms.assessment import raises_alert

GROUP = "borderflow"
# Operator metrics as the Prometheus reporter names them (logical scope of an operator group).
PROMETHEUS_PREFIX = "flink_taskmanager_job_task_operator_" + GROUP + "_"

# Histogram bucket upper bounds (le); +Inf is added.
EVENT_TO_ASSESSMENT_MS_BUCKETS = (1_000, 5_000, 30_000, 60_000, 300_000, 900_000, 3_600_000,
                                  21_600_000, 86_400_000)
SCORING_TIME_US_BUCKETS = (50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 250_000)
SCORE_BUCKETS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
MODEL_SCORE_PERCENT_BUCKETS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)

NO_MODEL_VERSION = "none"
NO_FIELD = "none"
# How often (at most) the watermark-lag gauge is refreshed: one JVM call per second, not per record.
GAUGE_REFRESH_NS = 1_000_000_000


@dataclass(frozen=True)
class MetricDef:
    name: str  # as exported to Prometheus
    labels: tuple  # labels this job adds (Flink adds job_name, operator_name, subtask_index, ...)
    kind: str  # counter | gauge | histogram (a histogram exports _le_bucket, _count and _sum)
    operator: str  # the operator(s) that register it
    help: str


def _m(name, labels, kind, operator, help_text):
    return PROMETHEUS_PREFIX + name, MetricDef(PROMETHEUS_PREFIX + name, tuple(labels), kind, operator, help_text)


METRICS = dict([
    _m("stream_eventsIn", ["stream"], "counter", "Decode<Stream>", "messages read, per input stream"),
    _m("stream_reason_field_deadLetters", ["stream", "reason", "field"], "counter", "Decode<Stream>",
       "messages rejected to the dead-letter topic, per stream, error kind (DECODE, VALIDATION, DCSA, ...) "
       "and offending field (array indexes removed; 'none' when the reason names no field)"),
    _m("outcome_assessments", ["outcome"], "counter", "AssessDeclaration", "risk assessments emitted, per outcome"),
    _m("outcome_alerts", ["outcome"], "counter", "AssessDeclaration", "alerts (high-risk outcomes), per outcome"),
    _m("eventToAssessmentMs", [], "histogram", "AssessDeclaration",
       "wall-clock time of the assessment minus its event time (the decision deadline), ms"),
    _m("scoringTimeUs", [], "histogram", "AssessDeclaration", "time to score one declaration, microseconds"),
    _m("score", [], "histogram", "AssessDeclaration", "distribution of assessment scores (0..100)"),
    _m("modelScorePercent", [], "histogram", "AssessDeclaration",
       "distribution of model probabilities x 100 (when a model is loaded)"),
    _m("ruleset_inUse", ["ruleset"], "gauge", "every keyed check", "1 for the rule-set version in use, 0 for earlier ones"),
    _m("model_inUse", ["model"], "gauge", "AssessDeclaration",
       "1 for the model version of the latest assessment ('none': no model), 0 for earlier ones"),
    _m("keysInState", [], "gauge", "every keyed check",
       "keys holding state (records waiting for a partner, their deadline or cleanup) created minus cleared"),
    _m("awaitingDecision", [], "gauge", "AssessDeclaration", "declarations held until their decision deadline"),
    _m("watermarkLagMs", [], "gauge", "every keyed check", "wall clock minus the operator's event-time watermark, ms"),
    # The ledger (transforms.ledger): per stream, recordsAccepted = sum of recordsSettled + recordsPending.
    _m("stream_recordsAccepted", ["stream"], "counter", "Decode<Stream>",
       "units accepted after intake, per stream (manifest lines for manifests, messages otherwise)"),
    _m("stream_disposition_recordsSettled", ["stream", "disposition"], "counter",
       "the owner of each kind (AssessDeclaration, CrossCheckConsignment, CrossCheckContainer, Decode<Stream>)",
       "accepted units that reached their final disposition (assessed, cross_checked, late, duplicate, ...)"),
    _m("stream_recordsPending", ["stream"], "gauge", "AssessDeclaration, CrossCheckConsignment, CrossCheckContainer",
       "accepted units held in keyed state, waiting for their decision or partner, since the operator started"),
])


def histogram_series(name: str) -> tuple[str, str, str]:
    """The exported (bucket, count, sum) names of a histogram of METRICS (short or full name)."""
    full = name if name.startswith(PROMETHEUS_PREFIX) else PROMETHEUS_PREFIX + name
    return full + "_le_bucket", full + "_count", full + "_sum"


def exported_names() -> set[str]:
    """Every metric name the job exports (histograms expanded into their three series)."""
    names = set()
    for d in METRICS.values():
        names.update(histogram_series(d.name) if d.kind == "histogram" else (d.name,))
    return names


INF = "Inf"  # the last bucket's le: survives the reporter's character filter, parses as +Inf


def le_label(bound) -> str:
    """The le label of a bucket bound: an integer, or Inf."""
    if bound == math.inf:
        return INF
    if not float(bound).is_integer():
        raise ValueError(f"bucket bound {bound}: the reporter would rewrite the '.' (use integer units)")
    return str(int(bound))


_FIELD_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\[\d*\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d*\])*)*): ")


def dead_letter_field(error_kind: str, reason: str) -> str:
    """The field a rejection names ("goods[2].hs_code: ..." -> "goods:hs_code"), a label of
    bounded cardinality (schema paths, not values) in the characters the reporter keeps; NO_FIELD
    for decode errors and the like."""
    from transforms import intake

    if error_kind not in (intake.VALIDATION, intake.DCSA):
        return NO_FIELD
    m = _FIELD_PATH.match(reason or "")
    return re.sub(r"\[\d*\]", "", m.group(1)).replace(".", ":")[:80] if m else NO_FIELD


class Histogram:
    """Cumulative bucket counters in Flink, readable as a Prometheus histogram."""

    def __init__(self, group, name: str, bounds):
        g = group.add_group(name)
        self._bounds = tuple(bounds)
        self._buckets = [g.add_group("le", le_label(b)).counter("bucket") for b in self._bounds]
        self._inf = g.add_group("le", INF).counter("bucket")
        self._count = g.counter("count")
        self._sum = g.counter("sum")

    def observe(self, value) -> None:
        for bound, counter in zip(self._bounds, self._buckets):
            if value <= bound:
                counter.inc()
        self._inf.inc()
        self._count.inc()
        self._sum.inc(int(round(value)))


class _Gauge:
    """A long gauge set from the operator (PyFlink's thread-mode distribution keeps the last value)."""

    def __init__(self, group, name: str):
        self._gauge = group.distribution(name)
        self.value = None

    def set(self, value: int) -> None:
        value = int(value)
        if value != self.value:
            self.value = value
            self._gauge.update(value)


class _InUse:
    """`<key>_inUse{<key>=version}`: 1 for the version in use, 0 for those used before."""

    def __init__(self, group, key: str):
        self._group, self._key = group, key
        self._gauges: dict[str, _Gauge] = {}
        self.current = None

    def use(self, version) -> None:
        version = str(version)
        if version == self.current:
            return
        if self.current is not None:
            self._gauges[self.current].set(0)
        if version not in self._gauges:
            self._gauges[version] = _Gauge(self._group.add_group(self._key, version), "inUse")
        self._gauges[version].set(1)
        self.current = version


class LedgerMetrics:
    """The ledger of transforms.ledger as counters: units accepted, settled per disposition, and
    pending (a counter that goes up and down, like keysInState). Like every count here it starts
    from 0 when the operator starts, so after a restore `recordsPending` does not include the
    units held in the restored state."""

    def __init__(self, root):
        self._root = root
        self._accepted: dict[str, object] = {}
        self._settled: dict[tuple, object] = {}
        self._pending: dict[str, object] = {}

    def accepted(self, stream: str, n: int = 1) -> None:
        counter = self._accepted.get(stream)
        if counter is None:
            counter = self._accepted[stream] = self._root.add_group("stream", stream).counter("recordsAccepted")
        counter.inc(n)

    def settle(self, stream: str, entries: dict) -> None:
        from transforms.ledger import PENDING

        for disposition, n in entries.items():
            if not n:
                continue
            if disposition == PENDING:
                counter = self._pending.get(stream)
                if counter is None:
                    counter = self._pending[stream] = self._root.add_group("stream", stream).counter("recordsPending")
            else:
                counter = self._settled.get((stream, disposition))
                if counter is None:
                    counter = self._settled[(stream, disposition)] = (
                        self._root.add_group("stream", stream).add_group("disposition", disposition)
                        .counter("recordsSettled"))
            counter.inc(n)


class IntakeMetrics:
    """DecodeAndRoute: events in per stream, dead letters per stream, reason and field, and
    the ledger's accepted units (and the kinds no live check uses, settled at once)."""

    def __init__(self, metric_group):
        from transforms import intake

        self._root = metric_group.add_group(GROUP)
        self._events = {s: self._root.add_group("stream", s).counter("eventsIn") for s in intake.STREAMS}
        self._dead: dict[tuple, object] = {}
        self.ledger = LedgerMetrics(self._root)

    def event_in(self, stream: str) -> None:
        counter = self._events.get(stream)
        if counter is None:  # an unknown stream is dead-lettered; count it under its own name
            counter = self._events[stream] = self._root.add_group("stream", str(stream)[:60]).counter("eventsIn")
        counter.inc()

    def dead_letter(self, stream: str, error_kind: str, reason: str) -> None:
        key = (str(stream)[:60], error_kind, dead_letter_field(error_kind, reason))
        counter = self._dead.get(key)
        if counter is None:
            counter = self._dead[key] = (self._root.add_group("stream", key[0]).add_group("reason", key[1])
                                         .add_group("field", key[2]).counter("deadLetters"))
        counter.inc()


class CheckMetrics:
    """One keyed check (RunKeyedCheck): keys in state, watermark lag, rule set in use; for the
    assessor also assessments and alerts per outcome, latency, scoring time, scores, model."""

    def __init__(self, metric_group, check_name: str, clock_ns=time.time_ns):
        from transforms import rules, topology

        self._root = metric_group.add_group(GROUP)
        self._clock_ns = clock_ns
        self._keys = self._root.counter("keysInState")
        self._lag = _Gauge(self._root, "watermarkLagMs")
        self._lag_at_ns = 0
        self._ruleset = _InUse(self._root, "ruleset")
        self.ledger = LedgerMetrics(self._root)
        self.is_assessor = check_name == topology.ASSESSOR.name
        if self.is_assessor:
            from transforms.assessment import OPEN

            self._open = OPEN
            self._awaiting = self._root.counter("awaitingDecision")
            outcomes = (rules.ASSESSMENT_COMPLETE, rules.REQUEST_FOR_INFORMATION, rules.HIGH_RISK_SCREENING,
                        rules.DO_NOT_LOAD, rules.CONTROL_ON_ARRIVAL)
            self._assessments = {o: self._root.add_group("outcome", o).counter("assessments") for o in outcomes}
            self._alerts = {o: self._root.add_group("outcome", o).counter("alerts") for o in rules.ALERT_OUTCOMES}
            self._latency = Histogram(self._root, "eventToAssessmentMs", EVENT_TO_ASSESSMENT_MS_BUCKETS)
            self._scoring = Histogram(self._root, "scoringTimeUs", SCORING_TIME_US_BUCKETS)
            self._score = Histogram(self._root, "score", SCORE_BUCKETS)
            self._model_score = Histogram(self._root, "modelScorePercent", MODEL_SCORE_PERCENT_BUCKETS)
            self._model = _InUse(self._root, "model")

    def use_ruleset(self, version) -> None:
        self._ruleset.use(version)

    def step(self, before, step, started_ns: int, watermark_ms: int | None = None) -> None:
        """After one on_event/on_timer of the check: `before` is the key's state it was given,
        `step` the transforms.state_machine.Step it returned, `started_ns` time.perf_counter_ns()
        taken just before the call, `watermark_ms` the operator's current watermark."""
        after = step.state
        if before is None and after is not None:
            self._keys.inc()
        elif before is not None and after is None:
            self._keys.dec()
        if self.is_assessor:
            was_open = isinstance(before, dict) and before.get("status") == self._open
            is_open = isinstance(after, dict) and after.get("status") == self._open
            if is_open != was_open:
                self._awaiting.inc(1 if is_open else -1)
            if step.outputs:
                per_output_us = (time.perf_counter_ns() - started_ns) / 1000 / len(step.outputs)
                for record in step.outputs:
                    self.assessment(record, per_output_us)
        if watermark_ms is not None:
            self.watermark(watermark_ms)

    def lag_due(self) -> bool:
        """Whether the watermark-lag gauge wants a refresh: lets the operator skip reading the
        watermark (a JVM call) on all but about one record per second."""
        return self._clock_ns() - self._lag_at_ns >= GAUGE_REFRESH_NS

    def watermark(self, watermark_ms: int) -> None:
        """Refresh the watermark-lag gauge (at most once per GAUGE_REFRESH_NS)."""
        now_ns = self._clock_ns()
        if watermark_ms <= 0 or now_ns - self._lag_at_ns < GAUGE_REFRESH_NS:
            return  # no watermark yet (Long.MIN_VALUE), or refreshed recently
        self._lag_at_ns = now_ns
        self._lag.set(now_ns // 1_000_000 - watermark_ms)

    def assessment(self, record: dict, scoring_us: float | None = None) -> None:
        outcome = record["outcome"]
        counter = self._assessments.get(outcome)
        if counter is None:
            counter = self._assessments[outcome] = self._root.add_group("outcome", outcome).counter("assessments")
        counter.inc()
        if raises_alert(record):  # alerts count escalations, as the alerts stream carries them
            alerts = self._alerts.get(outcome)
            if alerts is None:
                alerts = self._alerts[outcome] = self._root.add_group("outcome", outcome).counter("alerts")
            alerts.inc()
        self._latency.observe(record["processing_time_ms"] - record["event_time_ms"])
        self._score.observe(record["score"])
        if record.get("model_score") is not None:
            self._model_score.observe(record["model_score"] * 100)
        if scoring_us is not None:
            self._scoring.observe(scoring_us)
        self._ruleset.use(record["ruleset_version"])
        self._model.use(record.get("model_version") or NO_MODEL_VERSION)
