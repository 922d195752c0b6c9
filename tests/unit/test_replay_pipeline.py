"""The Beam replay (pipelines/replay.py) on the DirectRunner: same assessments as the reference
runner over the whole stream, the day window with its margin, the graph's names, outputs."""
import json

import apache_beam as beam
import pytest

from generator.traffic import generate
from jobs.sources import traffic_messages
from pipelines import archive as arc
from pipelines import replay
from pipelines.cli_commands import add_replay_commands
from schemas import codec
from tests.unit.factories import H, T0, honest_journey, line_for, make_declaration, make_manifest
from transforms import intake
from transforms.assessment import raises_alert
from transforms.rules import load_ruleset
from transforms.runner import Runner, run_in_memory

OOO = replay.DEFAULT_OUT_OF_ORDERNESS_MS


def comparable(a):
    return {k: v for k, v in a.items() if k != "processing_time_ms"}


def by_id(assessments):
    return {a["assessment_id"]: comparable(a) for a in assessments}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """16 days of traffic, archived, and the reference assessments."""
    base = tmp_path_factory.mktemp("history")
    generate(base / "traffic", days=16, seed=3, declarations_per_day=30)
    arc.write_archive(base / "traffic", base / "archive")
    inputs = [intake.decode_input(s, p) for s, p in traffic_messages(base / "traffic")]
    return base, run_in_memory(inputs, out_of_orderness_ms=OOO)


def test_full_replay_equals_the_reference_runner(history, tmp_path):
    base, expected = history
    days = arc.archive_days(base / "archive")
    summary = replay.run_replay(base / "archive", days[0], days[-1], tmp_path)
    got = list(codec.read_avro_file(tmp_path / "assessments.avro"))
    assert by_id(got) == by_id(expected)
    alerts = list(codec.read_avro_file(tmp_path / "alerts.avro"))
    assert [a["assessment_id"] for a in alerts] == [a["assessment_id"] for a in got if raises_alert(a)]
    assert alerts and all(a["alert"] and a["escalated"] for a in alerts)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == summary
    assert summary["assessments"] == len(expected) and summary["events_per_second"] > 0
    assert summary["events_in_total"] == sum(1 for _ in arc.read_archive(base / "archive", days[0], days[-1]))
    assert summary["replay"]["keys_with_state_left"] == 0
    stages = summary["replay"]["stages"]
    assert set(stages) == {"CrossCheckConsignment", "CrossCheckContainer", "PartyBehaviour", "AssessDeclaration"}
    assert stages["AssessDeclaration"]["outputs"] == len(expected)
    # nothing lost: the replay's ledger is the reference runner's, and balances
    runner = Runner(out_of_orderness_ms=OOO)
    for kind, record, t in (intake.decode_input(s, p) for s, p in traffic_messages(base / "traffic")):
        runner.feed(kind, record, t)
    runner.finish()
    book = summary["replay"]["ledger"]
    assert {s: e.pop("unaccounted") for s, e in book.items()} == {s: 0 for s in book}
    assert book == runner.ledger.as_dict()
    assert book["declarations"]["assessed"] > 0 and book["manifests"]["cross_checked"] > 0


def test_replaying_some_days_reads_a_margin_and_keeps_those_days(history, tmp_path):
    base, expected = history
    rs = load_ruleset()
    window = arc.replay_window("2026-11-12", "2026-11-13", rs, OOO)
    assert window.read_from.isoformat() == "2026-09-02"  # the longest lifecycle and look-back before
    replay.run_replay(base / "archive", "2026-11-12", "2026-11-13", tmp_path / "a")
    got = by_id(codec.read_avro_file(tmp_path / "a" / "assessments.avro"))
    want = by_id(window.select(expected))
    assert len(want) > 80 and got == want
    # without the margin, declarations filed the day before are missing and their manifest
    # lines look undeclared: the margin is what makes a partial replay exact
    replay.run_replay(base / "archive", "2026-11-12", "2026-11-13", tmp_path / "b", margin_before_days=0)
    assert by_id(codec.read_avro_file(tmp_path / "b" / "assessments.avro")) != want


def test_the_graph_is_named_after_the_domain():
    p = beam.Pipeline()
    files = [arc.ArchiveFile("declarations", "2026-11-02", "/nonexistent.avro", 0)]
    with replay.beam_registries():
        replay.build_replay(p, files, load_ruleset(), out_dir="/tmp/unused")
    top = {label.split("/")[0] for label in p.applied_labels}
    assert {"ReadArchive", "FlattenManifests", "CrossCheckConsignment", "CrossCheckContainer", "PartyBehaviour",
            "AssessDeclarations", "WriteAssessments"} <= top


class ConstantModel:
    """A ModelScorer for the test (module level: the runner pickles it)."""

    version = "test-model-1"

    def score(self, decl, evidence):
        return 0.25


def test_in_memory_records_and_a_model(tmp_path):
    d = make_declaration(filed_at_ms=T0)
    records = [d, make_manifest([line_for(d)], filed_at_ms=T0 + 5 * H), *honest_journey(d)]
    pairs = []
    for r in sorted(records, key=lambda r: r.get("filed_at_ms", r.get("event_time_ms"))):
        stream = "declarations" if "goods" in r else "manifests" if "lines" in r else "container_events"
        pairs.append((stream, r))
    with replay.beam_registries():  # (a PyFlink job may have run in this process)
        p = beam.Pipeline(options=replay.pipeline_options())
        replay.build_replay(p, pairs, load_ruleset(), model=ConstantModel(), out_dir=tmp_path)
        p.run().wait_until_finish()
    out = list(codec.read_avro_file(tmp_path / "assessments.avro"))
    assert [a["phase"] for a in out] == ["PRE_LOADING", "PRE_ARRIVAL"]
    for a in out:
        assert a["declaration_id"] == d["declaration_id"]
        assert a["model_version"] == "test-model-1" and a["model_score"] == 0.25


def test_replay_uses_the_live_jobs_out_of_orderness():
    from jobs.config import JobConfig

    assert replay.DEFAULT_OUT_OF_ORDERNESS_MS == JobConfig().out_of_orderness_ms


def test_resolve_model():
    assert replay.resolve_model(None) is None
    assert replay.resolve_model("tests.unit.test_replay_pipeline:ConstantModel").version == "test-model-1"
    with pytest.raises(ValueError, match="no model registry"):
        replay.resolve_model("2026.11-model-3")


def test_flink_runner_without_its_job_server_jar_says_what_is_missing(tmp_path):
    with pytest.raises(RuntimeError, match="beam-runners-flink-1.19-job-server"):
        replay.pipeline_options("flink", flink_job_server_jar=tmp_path / "missing.jar")
    with pytest.raises(ValueError, match="unknown runner"):
        replay.pipeline_options("spark")


def test_cli_commands_register_archive_replay_and_backtest():
    import argparse

    parser = argparse.ArgumentParser()
    add_replay_commands(parser.add_subparsers(dest="command", required=True))
    a = parser.parse_args(["archive", "--input", "t", "--archive", "a"])
    assert (a.command, a.input, a.archive, a.append) == ("archive", "t", "a", False)
    r = parser.parse_args(["replay", "--archive", "a", "--from", "2026-11-02", "--to", "2026-11-03", "--out", "o",
                           "--rules", "r.yaml", "--runner", "flink"])
    assert (r.day_from, r.day_to, r.rules, r.runner, r.model) == ("2026-11-02", "2026-11-03", "r.yaml", "flink", None)
    b = parser.parse_args(["backtest", "--archive", "a", "--baseline", "A", "--candidate", "B", "--from", "2026-11-02",
                           "--to", "2026-11-02", "--out", "o"])
    assert (b.baseline, b.candidate, b.func.__name__) == ("A", "B", "cmd_backtest")


PYFLINK_THEN_BEAM = """
import sys
import apache_beam as beam
from apache_beam.runners.worker import bundle_processor
from apache_beam.portability import common_urns
import pyflink.fn_execution.beam.beam_operations, pyflink.fn_execution.beam.beam_coders  # what a PyFlink job loads
from pipelines import replay

def run(out):
    p = beam.Pipeline(options=replay.pipeline_options())
    p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x * 2) | beam.GroupBy(lambda x: x % 2) | beam.Map(print)
    p.run().wait_until_finish()

try:
    run(None)
    sys.exit("expected PyFlink's handlers to break a plain Beam pipeline")
except Exception as exc:
    print("without:", type(exc).__name__)
pyflink_pardo = bundle_processor.BeamTransformFactory._known_urns[common_urns.primitives.PAR_DO.urn]
with replay.beam_registries():
    run(None)
assert bundle_processor.BeamTransformFactory._known_urns[common_urns.primitives.PAR_DO.urn] == pyflink_pardo
print("with: ok")
"""


def test_beam_runs_in_a_process_where_pyflink_loaded_its_beam_handlers(tmp_path):
    """PyFlink's client re-registers Beam's ParDo and length-prefix handlers (see
    replay.beam_registries); in a fresh process: Beam breaks without the block, works inside it,
    and PyFlink's handlers are back after it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(replay.__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", PYFLINK_THEN_BEAM], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "without:" in done.stdout and "with: ok" in done.stdout
