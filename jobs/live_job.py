"""The live risk-assessment job (PyFlink DataStream API).

Story of the job, one event at a time:

    each topic's messages ── Decode<Stream> ──bad──> dead letters (reason, raw bytes)
         │  (event time and   decode, validate, data contract; a manifest becomes its lines;
         │   watermarks from  control results: counted, not used by the live checks)
         │   the source)      routes each record to every stage that keys it (no other operator)
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
its event time (transforms/control.py), so a new version takes effect without a restart. Sources
and sinks are parameters, so the graph is the same embedded, on a standalone cluster or on
Kubernetes.

Few Python operators on a record's path: each one it crosses costs a pickling round trip and a
JVM crossing, which measured as most of the job's time. So the decoder routes (no separate
routing, flattening or filtering operators), the shuffles key in Java on the key the decoder
already computed (jobs.functions.key_by_route), and the checks' evidence leaves routed to the
assessor.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from jobs.config import JobConfig
from transforms import topology
from transforms.assessment import raises_alert



def build_job(env, source, sink, config: JobConfig) -> None:
    """Wire source -> checks -> assessor -> sink on `env`."""
    from pyflink.common import Types

    from jobs.functions import (CONTROL_STATE, DEAD_LETTERS, ROUTED, DecodeAndRoute, DecodeControl, RunKeyedCheck,
                                key_by_route, route_tag, side_output_of)

    pickled = Types.PICKLED_BYTE_ARRAY()
    stages = [*topology.CHECKS, topology.ASSESSOR]

    # One decoder per input topic, straight from the source (event time and watermarks come with
    # the messages), routing each record to the keyed stages' side outputs. Stable uids on every
    # stateful operator: a savepoint restores into a changed job by uid.
    decoders = {stream: inputs.process(DecodeAndRoute(stream, stages), output_type=pickled)
                .name(f"Decode{stream.title() if stream else 'Messages'}")
                .uid(f"decode-{stream.replace('_', '-')}" if stream else "decode-and-validate")
                for stream, inputs in source.build_inputs(env, config.out_of_orderness_ms)}
    # Only the decoders of streams the checks read feed the keyed stages: a stream they do not
    # read (control results) would hold back their watermark and route nothing (while sparse, or
    # at parallelism above its partition count, until the idleness timeout: a start-up backlog).
    routing = [d for stream, d in decoders.items() if stream is None or topology.read_by_checks(stream)]
    # Rule-set and model updates reach every keyed operator as broadcast state.
    updates = (source.build_control(env).process(DecodeControl(), output_type=pickled)
               .name("DecodeControl").uid("decode-control"))
    control = updates.broadcast(CONTROL_STATE)
    dead_letters = [d.get_side_output(DEAD_LETTERS) for d in (*decoders.values(), updates)]

    def routed_to(stage, *more):
        first, *rest = [side_output_of(d, route_tag(stage)) for d in routing] + list(more)
        return first.union(*rest) if rest else first

    def keyed(stage, inputs, output_type, route_to=None):
        """Run the stage on its routed inputs; named after it."""
        return (
            key_by_route(inputs)
            .connect(control)
            .process(RunKeyedCheck(stage, config.ruleset, config.state_ttl_hours, config.model, route_to),
                     output_type=output_type)
            .name(stage.name).uid(stage.name)
        )

    # The checks' evidence leaves already routed to the assessor.
    evidence = [keyed(check, routed_to(check), ROUTED, route_to=topology.ASSESSOR) for check in topology.CHECKS]
    assessments = keyed(topology.ASSESSOR, routed_to(topology.ASSESSOR, *evidence), pickled)
    alerts = assessments.filter(raises_alert).name("Alerts")
    # Records that came after the decision they could have changed (transforms.ledger: late).
    dead_letters += [s.get_side_output(DEAD_LETTERS) for s in (*evidence, assessments)]
    first, *rest = dead_letters
    sink.attach({"assessments": assessments, "alerts": alerts, "dead_letters": first.union(*rest)})
    if config.assessment_store:
        from jobs.assessment_store import attach_assessment_store

        attach_assessment_store(env, assessments, config.assessment_store)


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
