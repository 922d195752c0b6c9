"""Conformance: the Beam replay over the archive gives the live PyFlink job's assessments.

A small seeded traffic goes through the live job (jobs.embedded.run_embedded, the real engine on
an embedded mini-cluster) and, archived (pipelines.archive.write_archive), through the Beam
replay (pipelines.replay.run_replay). Required: the same assessment sequences (ids are
declaration#sequence), and for each assessment the same phase, trigger, predecessor, outcome (and
why it was held or lowered), escalation, scorecard codes and contributions, score (within 1e-9),
rule-set and model versions and random selection; processing_time_ms (wall clock) is ignored.
"""
import pytest

from generator.traffic import generate
from jobs.config import JobConfig
from jobs.embedded import run_embedded
from pipelines import archive as arc
from pipelines import replay
from schemas import codec
from transforms.rules import load_ruleset

pytestmark = pytest.mark.integration

DAYS = ("2026-11-02", "2026-11-03")  # the generated filing days


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    base = tmp_path_factory.mktemp("conformance")
    generate(base / "traffic", days=2, seed=5, declarations_per_day=300)
    run_embedded(base / "traffic", base / "live", JobConfig())
    arc.write_archive(base / "traffic", base / "archive")
    return base, list(codec.read_avro_file(base / "live" / "assessments.avro"))


def assert_same_assessments(replayed: list[dict], live: list[dict]):
    got = {a["assessment_id"]: a for a in replayed}
    want = {a["assessment_id"]: a for a in live}
    assert len(got) == len(replayed), "an assessment id appears twice in the replay"
    assert set(got) == set(want), (sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5])
    for aid, w in want.items():
        g = got[aid]
        for field in ("declaration_id", "declaration_version", "house_document", "outcome", "alert",
                      "ruleset_version", "model_version", "random_selection", "event_time_ms", "phase", "sequence",
                      "supersedes", "trigger", "outcome_note", "escalated", "expected_loading_ms",
                      "expected_arrival_ms"):
            assert g[field] == w[field], (aid, field, g[field], w[field])
        assert abs(g["score"] - w["score"]) <= 1e-9, (aid, g["score"], w["score"])
        assert sorted(e["code"] for e in g["scorecard"]) == sorted(e["code"] for e in w["scorecard"]), aid
        contributions = {e["code"]: e["contribution"] for e in w["scorecard"]}
        assert all(abs(e["contribution"] - contributions[e["code"]]) <= 1e-9 for e in g["scorecard"]), aid
        assert (g["model_score"] is None) == (w["model_score"] is None), aid


def test_replay_of_every_archived_day_equals_the_live_job(live, tmp_path):
    base, live_assessments = live
    days = arc.archive_days(base / "archive")
    summary = replay.run_replay(base / "archive", days[0], days[-1], tmp_path)
    replayed = list(codec.read_avro_file(tmp_path / "assessments.avro"))
    assert len(live_assessments) > 500 and any(a["alert"] for a in live_assessments)
    assert_same_assessments(replayed, live_assessments)
    assert summary["replay"]["keys_with_state_left"] == 0


def test_replay_of_one_day_in_two_worker_processes_equals_the_live_job_on_that_day(live, tmp_path):
    """The second filing day alone: the first is read as margin (its declarations share parties
    and containers with the second's) and not emitted; workers in separate processes."""
    base, live_assessments = live
    window = arc.replay_window(DAYS[1], DAYS[1], load_ruleset(), JobConfig().out_of_orderness_ms)
    replay.run_replay(base / "archive", DAYS[1], DAYS[1], tmp_path, direct_num_workers=2,
                      direct_running_mode="multi_processing")
    replayed = list(codec.read_avro_file(tmp_path / "assessments.avro"))
    expected = window.select(live_assessments)
    assert 200 < len(expected) < len(live_assessments)
    assert_same_assessments(replayed, expected)
