"""Rule-set and model versions by event time (transforms/control.py) and the runner using them."""
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from generator.traffic import generate
from jobs.sources import timed_traffic_messages
from pipelines.rulesets import merged_dict
from transforms import control, intake
from transforms.reference import load_reference
from transforms.rules import load_ruleset, resolve_ruleset_path
from transforms.runner import run_in_memory

BASE = load_ruleset()
CANDIDATE = merged_dict("pipelines/examples/candidate-ruleset.yaml")


def _rs_dict(version: str, **changes) -> dict:
    d = yaml.safe_load(resolve_ruleset_path(None).read_text())
    d["version"] = version
    d.update(changes)
    return d


def plane():
    return control.ControlPlane(BASE, load_reference())


def test_no_update_means_the_base_versions():
    p = plane()
    ctx = p.context_at(123)
    assert ctx.ruleset is BASE and ctx.model is None
    assert p.context_at(10**13) is ctx  # one Context per version pair, not per event


VERSIONS = [control.ruleset_update(_rs_dict(f"v{i}"), 0) for i in range(8)]
COMPILED = [control.validate_update(u) for u in VERSIONS]


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(min_value=-10**12, max_value=10**12), min_size=1, max_size=8, unique=True),
       st.lists(st.integers(min_value=-2 * 10**12, max_value=2 * 10**12), min_size=1, max_size=20))
def test_the_newest_version_effective_at_the_event_time_decides(starts, times):
    p = plane()
    for i, start in enumerate(starts):
        p.apply({**VERSIONS[i], "effective_from_ms": start}, compiled=COMPILED[i])
    for t in times:
        effective = [(s, f"v{i}") for i, s in enumerate(starts) if s <= t]
        expected = max(effective)[1] if effective else BASE.version
        assert p.context_at(t).ruleset.version == expected


def test_redelivery_is_a_no_op_and_a_changed_body_is_refused():
    p = plane()
    update = control.ruleset_update(_rs_dict("v9"), 1000)
    assert p.apply(update) is True
    assert p.apply(dict(update)) is False
    changed = control.ruleset_update(_rs_dict("v9", random_selection_share=0.5), 1000)
    with pytest.raises(control.ControlError, match="immutable"):
        p.apply(changed)
    with pytest.raises(control.ControlError, match="immutable"):
        p.apply({**update, "effective_from_ms": 2000})
    assert [v for _, v in p.versions(control.RULESET)] == [BASE.version, "v9"]


def test_a_bad_rule_set_never_leaves_the_publisher():
    with pytest.raises(control.ControlError, match="not valid YAML"):
        control.ruleset_update("version: [unclosed", 0)
    with pytest.raises(control.ControlError, match="decision_delay_hours"):
        control.ruleset_update(_rs_dict("bad", decision_delay_hours=-5), 0)


def test_validate_update_checks_the_version_it_claims():
    update = control.ruleset_update(_rs_dict("v1"), 0)
    assert control.validate_update(update).version == "v1"
    with pytest.raises(control.ControlError, match="declares"):
        control.validate_update({**update, "version": "v2"})


def test_undecodable_update_and_missing_model_are_control_errors():
    with pytest.raises(control.ControlError):
        control.decode_update(b"not an update")
    update = control.model_update("/nonexistent/registry/m1", "m1", 0)
    roundtrip = control.decode_update(control.encode_update(update))
    assert roundtrip == update
    with pytest.raises(control.ControlError, match="m1"):
        control.validate_update(roundtrip)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    out = tmp_path_factory.mktemp("control")
    generate(out, days=1, seed=5, declarations_per_day=800)
    inputs = []
    for _, stream, payload in timed_traffic_messages(out):
        kind, record, t = intake.decode_input(stream, payload)
        inputs.append((kind, record, t))
    return inputs


def test_a_rule_set_published_mid_stream_decides_from_its_time_on(day):
    baseline = run_in_memory(day)
    # the middle of the filings (the pre-arrival assessments come weeks after them)
    times = sorted(a["event_time_ms"] for a in baseline if a["phase"] == "PRE_LOADING")
    switch = times[len(times) // 2]
    update = control.ruleset_update(CANDIDATE, switch)
    switched = run_in_memory(day, control_updates=[update])
    candidate_only = run_in_memory(day, ruleset=control.ruleset_from_yaml(update["body"]))

    def by_id(assessments):
        # the two assessments every declaration gets (re-assessments depend on the outcomes)
        return {(a["declaration_id"], a["house_document"], a["phase"]): a for a in assessments
                if a["phase"] in ("PRE_LOADING", "PRE_ARRIVAL")}

    base, new, cand = by_id(baseline), by_id(switched), by_id(candidate_only)
    assert base.keys() == new.keys()
    before = [k for k, a in new.items() if a["event_time_ms"] < switch]
    after = [k for k, a in new.items() if a["event_time_ms"] >= switch]
    assert before and after
    assert {new[k]["ruleset_version"] for k in before} == {BASE.version}
    assert {new[k]["ruleset_version"] for k in after} == {update["version"]}
    # A lifecycle wholly before the switch: exactly the baseline's decisions; wholly after it:
    # the candidate's. (One that spans it keeps an earlier, higher outcome: outcomes are never
    # lowered by a re-assessment alone.)
    started = {k[:2]: a["event_time_ms"] for k, a in new.items() if k[2] == "PRE_LOADING"}
    ended = {k[:2]: a["event_time_ms"] for k, a in new.items() if k[2] == "PRE_ARRIVAL"}
    assert all(new[k]["outcome"] == base[k]["outcome"] for k in before if ended.get(k[:2], switch) < switch)
    wholly_after = [k for k in after if started.get(k[:2], switch) >= switch]
    assert wholly_after
    assert all(new[k]["outcome"] == cand[k]["outcome"] for k in wholly_after)
    # The candidate flags more undervaluation, so the switch must show in the outcomes.
    assert any(new[k]["outcome"] != base[k]["outcome"] for k in wholly_after)


@settings(deadline=None, max_examples=40)
@given(st.permutations(range(4)), st.integers(min_value=-10**12, max_value=10**12))
def test_arrival_order_does_not_matter(order, t):
    """Operators rebuilt from broadcast state after a restore see the versions in any order."""
    updates = [{**VERSIONS[i], "effective_from_ms": 1000 * (i // 2), "published_at_ms": 10 + i} for i in range(4)]
    reference, shuffled = plane(), plane()
    for i in range(4):
        reference.apply(updates[i], compiled=COMPILED[i])
    for i in order:
        shuffled.apply(updates[i], compiled=COMPILED[i])
    assert reference.context_at(t).ruleset.version == shuffled.context_at(t).ruleset.version
    assert reference.versions(control.RULESET) == shuffled.versions(control.RULESET)
