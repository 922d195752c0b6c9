"""The live risk-assessment job (PyFlink DataStream API).

Story of the job, one event at a time:

    messages (stream, bytes) ── DecodeAndValidate ──bad──> dead letters (reason, raw bytes)
         │                     (control results: counted, not used by the live checks)
         │ (kind, record) with event-time watermarks
         ├─ FlattenManifests: a manifest becomes one record per consignment line
         │                                   rule-set / model updates ── DecodeControl ──bad──> dead letters
         │                                        │ broadcast to every keyed operator below
         ├─ CrossCheckConsignment  keyed by house document: declaration <-> manifest
         ├─ CrossCheckContainer    keyed by container: route, seals, late filing, reuse
         ├─ PartyBehaviour         keyed by consignor: split and test shipments
         └─> AssessDeclaration     keyed by declaration: evidence + indicators + rules
                                   (+ model seam, random selection) -> risk assessment
    assessments ─> sink; alerts (high-risk outcomes) ─> sink; dead letters ─> sink
    (late declarations, after their decision, are dead letters of kind LATE from AssessDeclaration)
    assessments ─> Parquet store by event-time day, for analysts (optional, jobs/assessment_store.py)

Nothing lost: each kind of record has one owner operator that counts where it ends
(transforms.ledger; metrics recordsAccepted, recordsSettled, recordsPending).

Every box is a thin adapter over transforms/ (see transforms/topology.py): the same checks run
in the Beam replay. Each keyed operator decides an event with the rule set and model in effect at
its event time (transforms/control.py), so a new version takes effect without a restart. Sources and sinks are parameters, so the graph is the same embedded, on a
standalone cluster or on Kubernetes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from jobs.config import JobConfig
from transforms import intake, topology
from transforms.state_machine import DECLARATION, EVIDENCE, MANIFEST_LINE



def build_job(env, source, sink, config: JobConfig) -> None:
    """Wire source -> checks -> assessor -> sink on `env`."""
    from pyflink.common import Duration, Types
    from pyflink.common.watermark_strategy import TimestampAssigner, WatermarkStrategy

    from jobs.functions import CONTROL_STATE, DEAD_LETTERS, DecodeAndValidate, DecodeControl, RouteToCheck, RunKeyedCheck

    pickled = Types.PICKLED_BYTE_ARRAY()

    class RecordEventTime(TimestampAssigner):
        def extract_timestamp(self, value, record_timestamp):
            kind, record = value
            return record[intake.TIME_FIELD_BY_KIND[kind]]

    # Stable uids on every stateful operator: a savepoint restores into a changed job by uid.
    decoded = (source.build(env).process(DecodeAndValidate(), output_type=pickled)
               .name("DecodeAndValidate").uid("decode-and-validate"))
    # Rule-set and model updates reach every keyed operator as broadcast state.
    updates = (source.build_control(env).process(DecodeControl(), output_type=pickled)
               .name("DecodeControl").uid("decode-control"))
    dead_letters = decoded.get_side_output(DEAD_LETTERS).union(updates.get_side_output(DEAD_LETTERS))
    control = updates.broadcast(CONTROL_STATE)
    if getattr(source, "assigns_watermarks", False):
        records = decoded  # event time and watermarks come from the source (Kafka timestamps)
    else:
        watermarks = WatermarkStrategy.for_bounded_out_of_orderness(
            Duration.of_millis(config.out_of_orderness_ms)
        ).with_timestamp_assigner(RecordEventTime())
        records = decoded.assign_timestamps_and_watermarks(watermarks).name("EventTimeWatermarks")
    records = records.flat_map(_flatten_manifests, output_type=pickled).name("FlattenManifests")

    def keyed(check, inputs):
        """Route inputs to the check's keys and run it there; named after the check."""
        return (
            inputs.flat_map(RouteToCheck(check), output_type=pickled).name(f"KeyFor{check.name}")
            .key_by(lambda routed: routed[0], key_type=Types.STRING())
            .connect(control)
            .process(RunKeyedCheck(check, config.ruleset, config.state_ttl_hours, config.model), output_type=pickled)
            .name(check.name).uid(check.name)
        )

    evidence = [keyed(check, records) for check in topology.CHECKS]
    declarations = records.filter(lambda kr: kr[0] == DECLARATION).name("Declarations")
    to_assess = declarations.union(*[e.map(_as_evidence_input, output_type=pickled) for e in evidence])
    assessments = keyed(topology.ASSESSOR, to_assess)
    alerts = assessments.filter(lambda a: a["alert"]).name("Alerts")
    # Records that came after the decision they could have changed (transforms.ledger: late).
    dead_letters = dead_letters.union(*[s.get_side_output(DEAD_LETTERS) for s in (*evidence, assessments)])
    sink.attach({"assessments": assessments, "alerts": alerts, "dead_letters": dead_letters})
    if config.assessment_store:
        from jobs.assessment_store import attach_assessment_store

        attach_assessment_store(env, assessments, config.assessment_store)


def _flatten_manifests(value):
    kind, record = value
    if kind == intake.MANIFEST:
        for line in topology.flatten_manifest(record):
            yield MANIFEST_LINE, line
    else:
        yield value


def _as_evidence_input(evidence):
    return EVIDENCE, evidence


@dataclass
class RunStats:
    events_in: int
    wall_seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events_in / self.wall_seconds if self.wall_seconds else 0.0


def run(source, sink, config: JobConfig, events_in: int) -> RunStats:
    """Build and execute the job to completion (bounded sources) and time it."""
    from jobs.runtime import make_environment

    env = make_environment(config)
    build_job(env, source, sink, config)
    started = time.perf_counter()
    env.execute(config.job_name)
    return RunStats(events_in=events_in, wall_seconds=time.perf_counter() - started)
