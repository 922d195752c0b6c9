"""Analyst replay: the live risk assessment re-run over archived days with Apache Beam.

    ReadArchive ─ FlattenManifests ─┬─ CrossCheckConsignment ─┐ evidence
                                    ├─ CrossCheckContainer ───┤
                                    ├─ PartyBehaviour ────────┤
                                    └─ declarations ──────────┴─ AssessDeclarations ─ WriteAssessments

The same transforms/ code as the live job (transforms/topology.py): for every check of
`topology.CHECKS`, inputs are keyed by `check.key_of`, grouped by key (GroupByKey), sorted by
event time, and run through the check with per-key timers in event-time order
(pipelines/keyed_replay.py drives transforms.runner.Runner for one key); then the assessor
(`topology.ASSESSOR`) likewise over declarations + evidence keyed by `ASSESSOR.key_of`. Grouping
and sorting per key is the batch form of event-time processing: on an archive (input in event-time
order) it gives the assessments of the live job, which tests/integration/test_replay_conformance.py
verifies against the PyFlink job.

    run_replay("archive/", "2026-11-02", "2026-11-03", "out/replay")      # DirectRunner
    run_replay(..., ruleset="my-rules.yaml")                               # what-if on a rule set

writes out/replay/assessments.avro, alerts.avro, dead_letters.avro (records failing validation or a
data contract, docs/quality.md) and summary.json (counts, events/s, stages).
Which days are read and which assessments kept: pipelines.archive.replay_window (docs/archive.md).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import site
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter

from borderflow.avro_files import read_records
from pipelines import archive as arc
from pipelines import quality
from pipelines.keyed_replay import evidence_input, input_position, run_assessor_for_key, run_check_for_key
from transforms import intake, ledger, topology
from transforms.assessment import raises_alert
from transforms.reference import load_reference
from transforms.rules import RuleSet
from transforms.state_machine import DECLARATION, EVIDENCE, MANIFEST_LINE

log = logging.getLogger("borderflow.replay")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
METRICS_NAMESPACE = "borderflow.replay"
# The live job's bounded out-of-orderness (jobs.config.JobConfig), without importing jobs/.
DEFAULT_OUT_OF_ORDERNESS_MS = 10 * 60 * 1000
from pipelines.defaults import DEFAULT_DIRECT_MODE, DEFAULT_DIRECT_WORKERS  # noqa: E402
FLINK_JOB_SERVER_JAR = PROJECT_ROOT / ".cache" / "beam" / "beam-runners-flink-1.19-job-server-2.61.0.jar"


# --- reading --------------------------------------------------------------------------------------

class _DecodeFile(beam.DoFn):
    """(stream, file_no, path) -> (order, kind, record) for every record of the part file,
    decoded in one go. The part file is a batch for the data contracts (schemas/expectations):
    records failing the live intake's validation or an expectation go to the dead-letter output
    (pipelines.quality.DEAD_LETTERS) with the reason, and are counted per error kind and expectation."""

    def __init__(self, validate: bool = True):
        self._validate = validate

    def setup(self):
        self._counters = {s: Metrics.counter(METRICS_NAMESPACE, f"events_in/{s}") for s in arc.STREAMS}
        self._rejected = Metrics.counter(METRICS_NAMESPACE, "rejected")
        self._n = Counter()

    def process(self, element):
        stream, file_no, path = element
        kind = intake.STREAMS[stream][0]
        field, rank = arc.TIME_FIELD[stream], arc.ARRIVAL_RANK[stream]
        records, unreadable = read_records(path)
        for u in unreadable:  # a damaged stretch of the file: one dead letter, the rest is replayed
            log.warning("ReadArchive: %s", u.describe())
            self._rejected.inc()
            Metrics.counter(METRICS_NAMESPACE, f"dead_letters/{intake.DECODE}").inc()
            yield beam.pvalue.TaggedOutput(quality.DEAD_LETTERS, intake.dead_letter(
                stream, u.raw, intake.RejectedInput(intake.DECODE, u.describe()), int(time.time() * 1000)))
        rejected = quality.rejected_records(stream, records, self._validate)
        for i, record in enumerate(records):
            if i not in rejected:
                yield (record[field], rank, file_no, i), kind, record
        bad = len(rejected)
        self._counters[stream].inc(len(records) - bad)
        if bad:
            self._rejected.inc(bad)
            now = int(time.time() * 1000)
            for i, (error_kind, reason, expectations) in sorted(rejected.items()):
                Metrics.counter(METRICS_NAMESPACE, f"dead_letters/{error_kind}").inc()
                for name in expectations:
                    Metrics.counter(METRICS_NAMESPACE, f"expectation/{name}").inc()
                yield beam.pvalue.TaggedOutput(quality.DEAD_LETTERS,
                                               quality.record_dead_letter(stream, records[i], error_kind, reason, now))
            log.warning("ReadArchive: %d record(s) of %s rejected to dead letters", bad, path)
        log.debug("ReadArchive: %s %d records", path, len(records) - bad)
        self._n.update(files=1, records=len(records) - bad)

    def finish_bundle(self):
        if self._n["files"]:
            log.info("ReadArchive: %d part files, %d records", self._n["files"], self._n["records"])
            self._n.clear()


class ReadArchive(beam.PTransform):
    """The archive's part files -> (order, kind, record), order = (event time, stream rank,
    file number, index in file): the live arrival order. Rejected records: `.dead_letters`
    (a PCollection of DeadLetter dicts, set when the transform is applied)."""

    def __init__(self, files: list[arc.ArchiveFile], validate: bool = True):
        super().__init__()
        self._files = [(f.stream, f.file_no, f.path) for f in files]
        self._validate = validate

    def expand(self, pbegin):
        outputs = (pbegin
                   | "PartFiles" >> beam.Create(self._files)
                   | "Decode" >> beam.ParDo(_DecodeFile(self._validate)).with_outputs(quality.DEAD_LETTERS, main="records"))
        self.dead_letters = outputs[quality.DEAD_LETTERS]
        return outputs.records


def ordered_records(pairs: Iterable[tuple[str, dict]]) -> list[tuple[tuple, str, dict]]:
    """(stream, record) pairs in arrival order -> (order, kind, record), for in-memory input."""
    out = []
    for i, (stream, record) in enumerate(pairs):
        out.append(((record[arc.TIME_FIELD[stream]], arc.ARRIVAL_RANK[stream], 0, i), intake.STREAMS[stream][0], record))
    return out


def _flatten_manifest(element):
    order, kind, record = element
    if kind == topology.MANIFEST:
        for n, line in enumerate(topology.flatten_manifest(record)):
            _count_accepted(MANIFEST_LINE, line)
            yield order + (n,), MANIFEST_LINE, line
    else:
        _count_accepted(kind, record)
        yield order + (0,), kind, record


def _ledger_counter(stream: str, disposition: str):
    return Metrics.counter(METRICS_NAMESPACE, f"ledger/{stream}/{disposition}")


def _count_accepted(kind: str, record: dict) -> None:
    """The ledger (transforms.ledger): a unit reaching the keyed stages, settled at once when no
    owner will account for it."""
    stream = ledger.STREAM_OF_KIND[kind]
    _ledger_counter(stream, "units_in").inc()
    lost = ledger.unowned_disposition(kind, record, topology.OWNER_OF_KIND.get(kind))
    if lost:
        _ledger_counter(stream, lost).inc()


def _count_settled(runner) -> None:
    """A per-key runner's ledger entries (only the owner stage of a kind has any)."""
    for stream, entries in runner.ledger.settled.items():
        for disposition, n in entries.items():
            if n:
                _ledger_counter(stream, disposition).inc(n)


# --- keyed stages ---------------------------------------------------------------------------------

class _KeyFor(beam.DoFn):
    def __init__(self, stage):
        self._stage = stage

    def process(self, element):
        _, kind, record = element
        for key in self._stage.key_of(kind, record):
            yield key, element


class _StageCounters:
    def __init__(self, name):
        self.keys = Metrics.counter(METRICS_NAMESPACE, f"{name}/keys")
        self.inputs = Metrics.counter(METRICS_NAMESPACE, f"{name}/inputs")
        self.outputs = Metrics.counter(METRICS_NAMESPACE, f"{name}/outputs")
        self.left = Metrics.counter(METRICS_NAMESPACE, f"{name}/keys_with_state_left")
        self.n = Counter()

    def count(self, inputs, outputs, runner):
        self.keys.inc()
        self.inputs.inc(inputs)
        self.outputs.inc(outputs)
        self.n.update(keys=1, inputs=inputs, outputs=outputs)
        if runner.live_keys():
            self.left.inc()


class _RunCheck(beam.DoFn):
    """(key, inputs) -> (assessor key, (position, EVIDENCE, evidence)) for one check."""

    def __init__(self, check, stage: int, ruleset: RuleSet, out_of_orderness_ms: int, assessor):
        self._check, self._stage, self._rs, self._ooo, self._assessor = check, stage, ruleset, out_of_orderness_ms, assessor

    def setup(self):
        self._reference = load_reference()
        self._counters = _StageCounters(self._check.name)

    def process(self, element):
        key, inputs = element
        inputs = list(inputs)
        emitted, runner = run_check_for_key(self._check, self._stage, key, inputs, self._rs, self._reference, self._ooo)
        self._counters.count(len(inputs), len(emitted), runner)
        _count_settled(runner)
        for pos, ev in emitted:
            for akey in self._assessor.key_of(EVIDENCE, ev):
                yield akey, evidence_input(pos, ev)

    def finish_bundle(self):
        n = self._counters.n
        if n["keys"]:
            log.info("%s: %d keys, %d inputs -> %d evidence", self._check.name, n["keys"], n["inputs"], n["outputs"])
            n.clear()


class CrossCheck(beam.PTransform):
    """One check of topology.CHECKS: key by check.key_of, group, run per key in event time."""

    def __init__(self, check, stage: int, ruleset: RuleSet, out_of_orderness_ms: int, assessor):
        super().__init__(check.name)
        self._args = (check, stage, ruleset, out_of_orderness_ms, assessor)

    def expand(self, records):
        check = self._args[0]
        return (records
                | f"KeyFor{check.name}" >> beam.ParDo(_KeyFor(check))
                | "GroupByKey" >> beam.GroupByKey()
                | "RunPerKey" >> beam.ParDo(_RunCheck(*self._args)))


class _DeclarationsForAssessor(beam.DoFn):
    def __init__(self, assessor, out_of_orderness_ms: int, stage: int):
        self._assessor, self._ooo, self._stage = assessor, out_of_orderness_ms, stage

    def process(self, element):
        order, kind, record = element
        if kind != DECLARATION:
            return
        pos = input_position(order, self._ooo, self._stage)
        for key in self._assessor.key_of(kind, record):
            yield key, (pos, kind, record)


class _RunAssessor(beam.DoFn):
    def __init__(self, assessor, ruleset: RuleSet, out_of_orderness_ms: int, window: arc.ReplayWindow | None):
        self._assessor, self._rs, self._ooo, self._window = assessor, ruleset, out_of_orderness_ms, window

    def setup(self):
        self._reference = load_reference()
        self._counters = _StageCounters(self._assessor.name)
        self._kept = Metrics.counter(METRICS_NAMESPACE, "assessments_kept")

    def process(self, element):
        key, inputs = element
        inputs = list(inputs)
        assessments, runner = run_assessor_for_key(self._assessor, key, inputs, self._rs, self._reference, self._ooo)
        self._counters.count(len(inputs), len(assessments), runner)
        _count_settled(runner)
        now = int(time.time() * 1000)
        for kind, record, why in runner.late:  # after their decision: dead letters, as in the live job
            yield beam.pvalue.TaggedOutput(quality.DEAD_LETTERS, intake.late_dead_letter(
                ledger.STREAM_OF_KIND[kind], record, why, now))
        for a in assessments if self._window is None else self._window.select(assessments):
            self._kept.inc()
            yield a

    def finish_bundle(self):
        n = self._counters.n
        if n["keys"]:
            log.info("AssessDeclarations: %d keys, %d inputs -> %d assessments", n["keys"], n["inputs"], n["outputs"])
            n.clear()


class AssessDeclarations(beam.PTransform):
    """topology.ASSESSOR over declarations + evidence keyed by ASSESSOR.key_of; keeps the
    assessments of the replayed days (ReplayWindow.select)."""

    def __init__(self, assessor, ruleset, out_of_orderness_ms, window, stage):
        super().__init__("AssessDeclarations")
        self._assessor, self._rs, self._ooo, self._window, self._stage = assessor, ruleset, out_of_orderness_ms, window, stage

    def expand(self, pcolls):
        records, evidence = pcolls[0], pcolls[1:]
        declarations = records | "DeclarationsByKey" >> beam.ParDo(
            _DeclarationsForAssessor(self._assessor, self._ooo, self._stage))
        outputs = ((declarations, *evidence)
                   | "WithEvidence" >> beam.Flatten()
                   | "GroupByKey" >> beam.GroupByKey()
                   | "RunPerKey" >> beam.ParDo(_RunAssessor(self._assessor, self._rs, self._ooo, self._window))
                   .with_outputs(quality.DEAD_LETTERS, main="assessments"))
        self.late = outputs[quality.DEAD_LETTERS]
        return outputs.assessments


# --- writing --------------------------------------------------------------------------------------

def write_outputs(assessments: list[dict], out_dir) -> dict:
    """assessments.avro and alerts.avro, ordered like the live job's (event time, id)."""
    from schemas import codec

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    assessments = sorted(assessments, key=lambda a: (a["event_time_ms"], a["assessment_id"]))
    alerts = [a for a in assessments if raises_alert(a)]
    codec.write_avro_file(out / "assessments.avro", "RiskAssessment", assessments)
    codec.write_avro_file(out / "alerts.avro", "RiskAssessment", alerts)
    log.info("WriteAssessments: %d assessments, %d alerts -> %s", len(assessments), len(alerts), out)
    return {"assessments": len(assessments), "alerts": len(alerts)}


def write_dead_letters(dead_letters: list[dict], out_dir) -> int:
    """dead_letters.avro, ordered by stream and reason (a stable file for a given archive)."""
    from schemas import codec

    ordered = sorted(dead_letters, key=lambda d: (d["source_topic"], d["error_kind"], d["reason"], d["raw"]))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    codec.write_avro_file(Path(out_dir) / "dead_letters.avro", "DeadLetter", ordered)
    return len(ordered)


class WriteDeadLetters(beam.PTransform):
    def __init__(self, out_dir):
        super().__init__("WriteDeadLetters")
        self._out_dir = str(Path(out_dir).resolve())

    def expand(self, dead_letters):
        return (dead_letters
                | "AllDeadLetters" >> beam.combiners.ToList()
                | "WriteAvro" >> beam.Map(write_dead_letters, self._out_dir))


class WriteAssessments(beam.PTransform):
    def __init__(self, out_dir):
        super().__init__("WriteAssessments")
        self._out_dir = str(Path(out_dir).resolve())  # workers may run elsewhere

    def expand(self, assessments):
        return (assessments
                | "AllAssessments" >> beam.combiners.ToList()
                | "WriteAvro" >> beam.Map(write_outputs, self._out_dir))


# --- the pipeline -----------------------------------------------------------------------------------

def _resolve_ruleset(ruleset) -> RuleSet:
    from pipelines import rulesets

    return rulesets.load(ruleset)


def make_assessor(model=None):
    """The assessor of topology.ASSESSOR, with a model (transforms.scoring.ModelScorer) if given."""
    if model is None:
        return topology.ASSESSOR
    return type(topology.ASSESSOR)(model=model)


def build_replay(pipeline, records, ruleset=None, *, model=None, out_of_orderness_ms: int = DEFAULT_OUT_OF_ORDERNESS_MS,
                 window: arc.ReplayWindow | None = None, out_dir=None, validate: bool = True, label: str = "") -> dict:
    """Wire the replay on `pipeline`; returns its PCollections {"records", "evidence", "assessments",
    "dead_letters"} (dead_letters: None unless read from archive files).

    records: a list of pipelines.archive.ArchiveFile (read by ReadArchive), an iterable of
    (stream, record) pairs in arrival order (for small in-memory replays and tests), or a
    PCollection of (order, kind, record). window: keep only the assessments of these days
    (None keeps all). out_dir: add WriteAssessments (assessments.avro, alerts.avro) and
    WriteDeadLetters (dead_letters.avro) there.
    label: a prefix for every step, to build two replays in one pipeline (backtests)."""
    rs = _resolve_ruleset(ruleset)
    assessor = make_assessor(model)
    p = label
    dead_letters = None
    if isinstance(records, beam.PCollection):
        raw = records
    else:
        records = list(records)
        if records and isinstance(records[0], arc.ArchiveFile):
            reader = ReadArchive(records, validate=validate)
            raw = pipeline | f"{p}ReadArchive" >> reader
            dead_letters = reader.dead_letters
        else:
            raw = pipeline | f"{p}ReadArchive" >> beam.Create(ordered_records(records))
    flat = raw | f"{p}FlattenManifests" >> beam.FlatMap(_flatten_manifest)
    evidence = [flat | f"{p}{check.name}" >> CrossCheck(check, i, rs, out_of_orderness_ms, assessor)
                for i, check in enumerate(topology.CHECKS)]
    assess = AssessDeclarations(assessor, rs, out_of_orderness_ms, window, len(topology.CHECKS))
    assessments = (flat, *evidence) | f"{p}AssessDeclarations" >> assess
    late = assess.late
    dead_letters = late if dead_letters is None else (dead_letters, late) | f"{p}AllDeadLetters" >> beam.Flatten()
    if out_dir is not None:
        assessments | f"{p}WriteAssessments" >> WriteAssessments(out_dir)
        if dead_letters is not None:
            dead_letters | f"{p}WriteDeadLetters" >> WriteDeadLetters(out_dir)
    return {"records": flat, "evidence": evidence, "assessments": assessments, "dead_letters": dead_letters}


# --- running --------------------------------------------------------------------------------------

def _worker_pythonpath() -> None:
    # multi_processing workers and portable SDK harnesses import pipelines/ and transforms/.
    paths = [str(PROJECT_ROOT), *site.getsitepackages()]
    existing = os.environ.get("PYTHONPATH")
    if existing and str(PROJECT_ROOT) in existing.split(os.pathsep):
        return
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + ([existing] if existing else []))


@contextlib.contextmanager
def beam_registries():
    """Run Beam in a process that also built or ran a PyFlink job: `with beam_registries(): ...`.

    Building a PyFlink job (jobs.embedded.run_embedded does) imports
    pyflink.fn_execution.beam.beam_operations and beam_coders into the client process, and these
    re-register two of Beam's global URN handlers for PyFlink's own Beam-based Python worker:
    - the ParDo transform (beam:transform:pardo:v1): every DoFn is parsed as a Flink
      UserDefinedDataStreamFunction ("DecodeError: Error parsing message with type
      'org.apache.flink.fn_execution.v1.UserDefinedDataStreamFunction'");
    - the length-prefix coder (beam:coder:length_prefix:v1): replaced by a pass-through coder that
      writes no length, so Beam's data channel no longer decodes ("ValueError: Unknown type tag").
    Any later in-process Beam pipeline then fails. This puts Beam's handlers back for the
    duration of the block and PyFlink's afterwards (a no-op when PyFlink never loaded them).
    multi_processing workers are fresh processes; the runner side still needs the block."""
    from apache_beam.coders.coders import Coder, LengthPrefixCoder
    from apache_beam.portability import common_urns
    from apache_beam.portability.api import beam_runner_api_pb2
    from apache_beam.runners.worker import bundle_processor

    transforms, coders = bundle_processor.BeamTransformFactory._known_urns, Coder._known_urns
    pardo, length_prefix = common_urns.primitives.PAR_DO.urn, common_urns.coders.LENGTH_PREFIX.urn
    saved = transforms.get(pardo), coders.get(length_prefix)
    if saved[0] is not None and saved[0][0] is bundle_processor.create_par_do:
        yield  # Beam's own handlers are in place
        return

    def length_prefix_from_runner_api(unused_payload, components, unused_context):
        return LengthPrefixCoder(*components)

    transforms[pardo] = bundle_processor.create_par_do, beam_runner_api_pb2.ParDoPayload
    coders[length_prefix] = None, length_prefix_from_runner_api
    log.debug("Beam's ParDo and length-prefix handlers restored for this pipeline (PyFlink had replaced them)")
    try:
        yield
    finally:
        transforms[pardo], coders[length_prefix] = saved


def pipeline_options(runner: str = "DirectRunner", direct_num_workers: int = DEFAULT_DIRECT_WORKERS,
                     direct_running_mode: str = DEFAULT_DIRECT_MODE, flink_master: str = "[local]",
                     flink_job_server_jar=None, extra: list[str] | None = None):
    """PipelineOptions for `runner`: "direct" / "DirectRunner" or "flink" / "FlinkRunner"."""
    from apache_beam.options.pipeline_options import PipelineOptions

    _worker_pythonpath()
    r = runner.lower()
    if r in ("direct", "directrunner"):
        args = ["--runner=DirectRunner", f"--direct_num_workers={direct_num_workers}",
                f"--direct_running_mode={direct_running_mode}"]
    elif r in ("flink", "flinkrunner"):
        jar = Path(flink_job_server_jar or FLINK_JOB_SERVER_JAR)
        if not jar.exists():
            raise RuntimeError(
                f"--runner flink needs the Beam Flink 1.19 job server jar at {jar} "
                "(mvn dependency:copy -Dartifact=org.apache.beam:beam-runners-flink-1.19-job-server:2.61.0 "
                "-DoutputDirectory=.cache/beam); see docs/archive.md, 'Flink runner'")
        # LOOPBACK: the SDK harness runs in this process (no Docker here).
        args = ["--runner=FlinkRunner", f"--flink_master={flink_master}", f"--flink_job_server_jar={jar}",
                "--environment_type=LOOPBACK", "--parallelism=1"]
    else:
        raise ValueError(f"unknown runner {runner!r}: direct or flink")
    return PipelineOptions(args + list(extra or []))


def _ledger_summary(counters: dict) -> dict:
    """{stream: {units_in, disposition: n, ..., unaccounted}}: where every unit read ended
    (pending is 0 at the end of a replay; unaccounted must be 0)."""
    book: dict[str, dict] = {}
    for name, v in counters.items():
        if name.startswith("ledger/"):
            _, stream, disposition = name.split("/", 2)
            book.setdefault(stream, {})[disposition] = v
    for entries in book.values():
        entries["unaccounted"] = entries.get("units_in", 0) - sum(
            v for d, v in entries.items() if d not in ("units_in", ledger.PENDING))
    return dict(sorted(book.items()))


def _metric_counters(result) -> dict[str, int]:
    try:
        counters = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE))["counters"]
    except Exception:  # a runner without metrics support
        return {}
    out: Counter = Counter()
    for c in counters:
        value = c.committed if c.committed is not None else c.attempted
        out[c.key.metric.name] += int(value or 0)
    return dict(out)


def run_replay(archive_dir, day_from, day_to, out_dir, ruleset=None, runner: str = "DirectRunner", model=None, *,
               out_of_orderness_ms: int = DEFAULT_OUT_OF_ORDERNESS_MS, margin_before_days: int | None = None,
               direct_num_workers: int = DEFAULT_DIRECT_WORKERS, direct_running_mode: str = DEFAULT_DIRECT_MODE,
               options=None) -> dict:
    """Replay days [day_from, day_to] of an archive; writes out_dir/assessments.avro, alerts.avro
    and summary.json, and returns the summary.

    ruleset: a RuleSet, a file, a name or an overlay file (pipelines/rulesets.py; None: the
    default rule set). model: a
    transforms.scoring.ModelScorer (None: no model, as the live job). runner: "DirectRunner"
    (default) or "flink"."""
    from borderflow.summary import summarise

    from schemas import codec

    rs = _resolve_ruleset(ruleset)
    window = arc.replay_window(day_from, day_to, rs, out_of_orderness_ms, margin_before_days)
    files = arc.archive_files(archive_dir, window.read_from, window.read_to)
    if not files:
        raise FileNotFoundError(f"no archive files in {archive_dir} for {window.read_from}..{window.read_to}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log.info("replay %s..%s with rule set %s: reading %d part files, days %s..%s (margin %d days before)",
             window.day_from, window.day_to, rs.version, len(files), window.read_from, window.read_to,
             window.margin_before_days)
    opts = options or pipeline_options(runner, direct_num_workers, direct_running_mode)
    started = time.perf_counter()
    with beam_registries():
        pipeline = beam.Pipeline(options=opts)
        build_replay(pipeline, files, rs, model=model, out_of_orderness_ms=out_of_orderness_ms, window=window,
                     out_dir=out)
        result = pipeline.run()
        result.wait_until_finish()
    wall = time.perf_counter() - started
    counters = _metric_counters(result)
    events_in = Counter({s: counters.get(f"events_in/{s}", 0) for s in arc.STREAMS})
    if not counters:  # no metrics from this runner: count the files (cheap next to the replay)
        events_in = Counter({s: sum(len(arc.read_file(f.path)) for f in files if f.stream == s) for s in arc.STREAMS})
    assessments = list(codec.read_avro_file(out / "assessments.avro"))
    dead_letters = list(codec.read_avro_file(out / "dead_letters.avro")) if (out / "dead_letters.avro").exists() else []
    summary = summarise(+events_in, assessments, dead_letters, wall, None, rs.alert_score)
    summary["replay"] = {
        "days": [window.day_from.isoformat(), window.day_to.isoformat()],
        "read_days": [window.read_from.isoformat(), window.read_to.isoformat()],
        "part_files": len(files),
        "ruleset": rs.version,
        "model": getattr(model, "version", None),
        "runner": runner,
        "direct_num_workers": direct_num_workers if runner.lower().startswith("direct") else None,
        "direct_running_mode": direct_running_mode if runner.lower().startswith("direct") else None,
        "rejected": counters.get("rejected", 0),
        "dead_letters": {k.split("/", 1)[1]: v for k, v in sorted(counters.items()) if k.startswith("dead_letters/")},
        "expectations_failed": {k.split("/", 1)[1]: v for k, v in sorted(counters.items()) if k.startswith("expectation/")},
        "stages": {name: {k: counters.get(f"{name}/{k}", 0) for k in ("keys", "inputs", "outputs")}
                   for name in [c.name for c in topology.CHECKS] + [topology.ASSESSOR.name]},
        "keys_with_state_left": sum(v for k, v in counters.items() if k.endswith("/keys_with_state_left")),
        "ledger": _ledger_summary(counters),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("replay done: %d events in %.1f s (%.0f events/s), %d assessments, %d alerts",
             summary["events_in_total"], wall, summary["events_per_second"] or 0, summary["assessments"], summary["alerts"])
    return summary


def resolve_model(spec: str | None):
    """A model from the command line: None, or "module:attribute" naming a ModelScorer (or a
    zero-argument factory of one). There is no model registry yet, so a bare version is refused."""
    if not spec:
        return None
    if ":" not in spec:
        raise ValueError(f"--model {spec!r}: no model registry yet; give module:attribute of a ModelScorer")
    import importlib

    module, _, attr = spec.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if callable(obj) and not hasattr(obj, "score"):
        obj = obj()
    if not hasattr(obj, "score") or not hasattr(obj, "version"):
        raise ValueError(f"--model {spec!r} is not a ModelScorer (needs .version and .score(decl, evidence))")
    return obj


if __name__ == "__main__":  # python -m pipelines.replay ARCHIVE FROM TO OUT
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(json.dumps(run_replay(*sys.argv[1:5]), indent=2))
