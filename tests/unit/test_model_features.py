"""Features without skew: the rows training builds (pipelines/training.py) equal the features of
what the live assessor hands its model, for the same declarations; the compiled model scores as
scikit-learn does; the MODEL scorecard entry names the top features."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.traffic import generate
from jobs.sources import traffic_messages
from pipelines import training
from tests.unit.factories import make_declaration
from transforms import intake, model as registry
from transforms.assessment import DeclarationAssessor
from transforms.features import FEATURE_NAMES, FEATURE_SCHEMA, features, features_dict
from transforms.indicators import declaration_indicators
from transforms.reference import load_reference
from transforms.rules import MODEL, load_ruleset
from transforms.runner import Runner

RS, REF = load_ruleset(), load_reference()


class Capture:
    """Records what the assessor passes to model.score (the live call site)."""

    version = "capture"

    def __init__(self):
        self.calls = {}

    def score(self, decl, evidence):
        self.calls[decl["declaration_id"]] = (decl, list(evidence))
        return 0.0


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    d = tmp_path_factory.mktemp("traffic")
    generate(d, days=3, seed=21, declarations_per_day=60, rates={"UNDERVALUATION": 0.05, "SPLIT_SHIPMENT": 0.03})
    return d


@pytest.fixture(scope="module")
def live_calls(traffic):
    """The live path: wire messages decoded by intake, the default topology, a recording model."""
    cap = Capture()
    runner = Runner(RS, REF, assessor=DeclarationAssessor(model=cap), now_ms=lambda: 0)
    for stream, payload in traffic_messages(traffic):
        kind, record, t = intake.decode_input(stream, payload)
        runner.feed(kind, record, t)
    runner.finish()
    return cap.calls


@pytest.fixture(scope="module")
def trained(traffic, tmp_path_factory):
    assessed = training.assess(training.traffic_inputs(traffic), RS, REF)
    ts = training.training_set([assessed], "none")
    uri = training.fit_and_publish(ts, tmp_path_factory.mktemp("registry"), params={"n_estimators": 30},
                                   ruleset_version=RS.version)
    return assessed, ts, registry.load_model(uri, ruleset=RS, reference=REF)


def test_training_rows_equal_the_features_of_what_the_live_assessor_scores(trained, live_calls):
    assessed = trained[0]
    assert len(live_calls) > 150
    assert set(assessed.rows) == set(live_calls)
    for did, (decl, evidence) in live_calls.items():
        version, row = assessed.rows[did]
        assert version == decl["version"]
        assert row == features(decl, evidence, RS, REF), did
    # the traffic exercises the evidence features, not only zeros
    X = np.array([r for _, r in assessed.rows.values()])
    fired = {FEATURE_NAMES[j] for j in np.flatnonzero(X.any(axis=0))}
    assert {"ev_UNDERVALUATION", "ev_SPLIT_SHIPMENT", "ev_count", "value_log_ratio_min"} <= fired


def test_live_score_equals_the_score_of_the_training_row(trained, live_calls):
    assessed, _, model = trained
    for did, (decl, evidence) in list(live_calls.items())[:200]:
        row = assessed.rows[did][1]
        assert model.score(decl, evidence) == model.score_vector(row)
        assert model.score_explained(decl, evidence)[0] == model.score_vector(row)


def test_compiled_trees_score_as_scikit_learn(trained):
    _, ts, model = trained
    gbc, cal, _ = training.fit(ts.X, ts.y, ts.w, {"n_estimators": 30}, seed=0)
    X = np.array([r for _, r in trained[0].rows.values()])
    compiled = registry.compile_gbt(gbc, len(FEATURE_NAMES))
    raw = compiled["bias"] + registry._walk(compiled["feature"], compiled["threshold"], compiled["leaf_value"],
                                            compiled["depth"], X)
    np.testing.assert_allclose(raw, gbc.decision_function(X), rtol=0, atol=1e-9)
    # the published model is this fit: batch, single-row and scikit-learn probabilities agree
    p = 1 / (1 + np.exp(-(cal["a"] * gbc.decision_function(X) + cal["b"])))
    np.testing.assert_allclose(model.score_many(X), p, atol=1e-9)
    np.testing.assert_allclose([model.score_vector(x) for x in X[:100]], p[:100], atol=1e-9)


def test_explanations_add_up_to_the_raw_score(trained):
    """Path contributions (before calibration) add up to the raw score less a constant (the
    trees' root values), whatever the row; the explanation lists positive ones, largest first."""
    _, _, model = trained
    X = np.array([r for _, r in trained[0].rows.values()])
    rest = []
    for x in X[:80]:
        xf = np.asarray(x, dtype=np.float32).tolist()
        raw, credit = model._raw_explain(xf)
        assert raw == pytest.approx(model._raw(xf))
        rest.append(raw - sum(credit))
        p, top = model.explain_vector(x, top=len(FEATURE_NAMES))
        assert p == model.score_vector(x)
        assert [c for _, _, c in top] == sorted((c for _, _, c in top), reverse=True)
        assert all(c > 0 for _, _, c in top)
    assert max(rest) - min(rest) < 1e-9


def test_the_scorecard_names_the_models_top_features(trained):
    _, _, model = trained
    decl = make_declaration(goods_overrides={"value": 10.0})  # far below the norm: UNDERVALUATION
    runner = Runner(RS, REF, checks=[], assessor=DeclarationAssessor(model=model), out_of_orderness_ms=0,
                    now_ms=lambda: 0)
    runner.feed("declaration", decl, decl["filed_at_ms"])
    a = runner.finish()[0]  # the pre-loading answer: from the filing alone
    entry = next(e for e in a["scorecard"] if e["kind"] == MODEL)
    assert a["model_version"] == model.version and a["model_score"] == model.score(decl, declaration_indicators(
        decl, RS, REF))
    top = model.explain(decl, declaration_indicators(decl, RS, REF))
    assert top and "top features: " + top[0][0] in entry["detail"]


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 1e7), st.floats(0.001, 1e5), st.integers(1, 500), st.sampled_from(["EUR", "USD", "XXX"]),
       st.sampled_from(["SEA", "AIR", "POSTAL", "ROAD"]), st.integers(1, 3))
def test_features_are_finite_and_complete(value, kg, packages, currency, mode, version):
    decl = make_declaration(goods_overrides={"value": value, "gross_mass_kg": kg, "packages": packages,
                                             "currency": currency})
    decl.update(transport_mode=mode, version=version)
    x = features(decl, declaration_indicators(decl, RS, REF), RS, REF)
    assert len(x) == len(FEATURE_NAMES) and all(np.isfinite(x))
    d = features_dict(decl, [], RS, REF)
    assert d[f"mode_{mode}"] == 1.0 and d["version"] == version and d["ev_count"] == 0
    assert len(FEATURE_SCHEMA) == 16
