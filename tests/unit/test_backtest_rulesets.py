"""Candidate rule sets as overlays on a base (pipelines/rulesets.py)."""
import pytest

from pipelines import rulesets
from pipelines.backtest import EXAMPLE_CANDIDATE
from transforms.rules import RuleSetError, load_ruleset


def test_the_example_candidate_is_the_default_with_one_change():
    base, cand = load_ruleset(), rulesets.load(EXAMPLE_CANDIDATE)
    assert cand.version == base.version + "+uv60"
    assert (base.undervaluation_ratio, cand.undervaluation_ratio) == (0.4, 0.6)
    assert cand.points == base.points and cand.cross_checks == base.cross_checks
    assert cand.alert_score == base.alert_score and cand.lifecycle_modes == base.lifecycle_modes


def test_overlay_merges_mappings_and_replaces_the_rest(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text('extends: default\nversion: "cand-7"\noutcomes:\n  alert_score: 70\n'
                 'cross_checks:\n  CONTAINER_NOT_SEEN: {modes: [SEA, RAIL]}\n')
    rs = rulesets.load(f)
    base = load_ruleset()
    assert rs.version == "cand-7" and rs.alert_score == 70 and rs.rfi_score == base.rfi_score
    assert rs.param("CONTAINER_NOT_SEEN", "modes") == frozenset({"SEA", "RAIL"})
    assert rs.param("CONTAINER_NOT_SEEN", "points") == base.param("CONTAINER_NOT_SEEN", "points")
    assert rulesets.merged_dict(f)["version"] == "cand-7" and "extends" not in rulesets.merged_dict(f)


@pytest.mark.parametrize("body,error", [
    ("extends: default\noutcomes: {alert_score: 70}\n", "own version"),
    ('extends: default\nversion: "{base}"\n', "differ"),
    ('extends: default\nversion: "x"\noutcomes: {alert_score: 700}\n', "outcomes.alert_score"),
    ('extends: default\nversion: "x"\nnonsense: 1\n', "nonsense"),
])
def test_bad_overlays_name_the_problem(tmp_path, body, error):
    f = tmp_path / "c.yaml"
    f.write_text(body)
    with pytest.raises(RuleSetError, match=error):
        rulesets.load(f)


def test_full_files_names_and_objects_pass_through():
    rs = load_ruleset()
    assert rulesets.load(rs) is rs
    assert rulesets.load(None).version == rs.version
    assert rulesets.load("default").version == rs.version
