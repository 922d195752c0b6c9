"""A rule set and a model published to the running job (the real engine, embedded) decide from
their effective time on, without a restart: the job's assessments equal the in-memory reference
runner's given the same control history, and a bad update becomes a dead letter."""
import numpy as np
import pytest

from generator.traffic import generate
from jobs.config import JobConfig
from jobs.embedded import run_embedded
from jobs.sources import timed_traffic_messages
from pipelines.rulesets import merged_dict
from schemas import codec
from pipelines import training
from transforms import control, intake
from transforms.features import FEATURE_NAMES
from transforms.rules import load_ruleset
from transforms.runner import run_in_memory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("control-embedded")
    generate(base / "traffic", days=1, seed=5, declarations_per_day=600)
    inputs = [intake.decode_input(stream, payload) for _, stream, payload in timed_traffic_messages(base / "traffic")]
    baseline = run_in_memory(inputs)
    times = sorted(a["event_time_ms"] for a in baseline)
    update = control.ruleset_update(merged_dict("pipelines/examples/candidate-ruleset.yaml"), times[len(times) // 2])
    model_uri = _small_model(base / "registry")
    model = control.model_update(model_uri, control.load_model(model_uri).version, times[len(times) // 4])
    expected = run_in_memory(inputs, control_updates=[update, model])
    bad = {**update, "version": "not-what-the-yaml-says"}
    run_embedded(base / "traffic", base / "out", JobConfig(), control_updates=[update, model, bad])
    live = list(codec.read_avro_file(base / "out" / "assessments.avro"))
    dead = list(codec.read_avro_file(base / "out" / "dead_letters.avro"))
    return update, baseline, expected, live, dead, model


def _small_model(registry):
    """A model fitted on synthetic rows (training itself is tested in tests/unit/test_model_*)."""
    rng = np.random.default_rng(3)
    X = np.zeros((400, len(FEATURE_NAMES)))
    X[:, 0] = rng.integers(0, 2, 400)
    X[:, FEATURE_NAMES.index("value_log_ratio_min")] = rng.normal(0, 1, 400)
    y = ((X[:, 0] == 1) | (X[:, FEATURE_NAMES.index("value_log_ratio_min")] < -1.5)).astype(int)
    ts = training.TrainingSet([f"D{i}" for i in range(400)], X, y, np.ones(400),
                              {"from": "2026-11-02", "to": "2026-11-08"}, "none")
    return training.fit_and_publish(ts, registry, "risk", {"n_estimators": 20}, ruleset_version=load_ruleset().version)


def test_the_job_decides_like_the_reference_with_the_same_control_history(runs):
    update, _, expected, live, _, _ = runs
    want = {a["assessment_id"]: a for a in expected}
    got = {a["assessment_id"]: a for a in live}
    assert got.keys() == want.keys()
    for aid, w in want.items():
        for field in ("outcome", "ruleset_version", "random_selection", "score", "model_version"):
            assert got[aid][field] == w[field], (aid, field)
        assert got[aid]["model_score"] == pytest.approx(w["model_score"], abs=1e-12)
    versions = {a["ruleset_version"] for a in live}
    assert versions == {load_ruleset().version, update["version"]}
    switch = update["effective_from_ms"]
    assert all((a["ruleset_version"] == update["version"]) == (a["event_time_ms"] >= switch) for a in live)


def test_a_model_published_mid_stream_scores_from_its_time_on(runs):
    *_, live, _, model = runs
    scored = [a for a in live if a["model_version"] is not None]
    assert scored and len(scored) < len(live)
    assert {a["model_version"] for a in scored} == {model["version"]}
    switch = model["effective_from_ms"]
    # Manifest lines nobody declared (HOUSE:) are never model-scored.
    assert all((a["model_version"] is not None) == (a["event_time_ms"] >= switch)
               for a in live if a["declaration_id"] is not None)


def test_the_update_changes_outcomes_from_its_time_on(runs):
    update, baseline, _, live, _, _ = runs
    base = {a["assessment_id"]: a["outcome"] for a in baseline}
    changed = [a for a in live if a["outcome"] != base[a["assessment_id"]]]
    assert changed
    assert all(a["event_time_ms"] >= update["effective_from_ms"] for a in changed)


def test_a_bad_update_is_one_dead_letter_with_its_reason(runs):
    *_, dead, _ = runs
    control_dead = [d for d in dead if d["error_kind"] == intake.CONTROL]
    assert len(control_dead) == 1
    assert control_dead[0]["source_topic"] == "rule_sets"
    assert "not-what-the-yaml-says" in control_dead[0]["reason"]
