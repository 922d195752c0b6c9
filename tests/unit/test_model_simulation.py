"""The feedback-loop simulation's bookkeeping: who is inspected, with what propensity, what is
learnt, which model serves which week; and the evaluation's tallies."""
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import evaluate, simulate
from pipelines.training import ceil_share
from transforms.features import FEATURE_NAMES


def synthetic_table(points, picks, fraud, scorable=None):
    n = len(points)
    return simulate.WeekTable(
        keys=[f"D:{i}" for i in range(n)], X=np.zeros((n, len(FEATURE_NAMES))),
        scorable=np.ones(n, dtype=bool) if scorable is None else np.asarray(scorable),
        rule_points=np.asarray(points, dtype=float), random_pick=np.asarray(picks), fraud=np.asarray(fraud),
        revenue=np.where(fraud, 100.0, 0.0), tiebreak=np.asarray([simulate._tiebreak(str(i)) for i in range(n)]),
        instances=[("X", [i]) for i in range(n) if fraud[i]])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.booleans(), st.booleans(), st.floats(0, 1)), min_size=1,
                max_size=120),
       st.floats(0.01, 0.5), st.floats(0.0, 0.9), st.floats(0, 1), st.integers(0, 1000))
def test_inspection_takes_the_top_then_random_picks_of_the_rest(rows, top_share, random_share, weight, seed):
    points, picks, fraud, p = (list(c) for c in zip(*rows))
    table = synthetic_table(points, picks, fraud)
    p = np.asarray(p)
    got = simulate.inspect_week(table, p, weight, top_share, random_share, random.Random(seed))
    top, rand = got["top"], got["random"]
    assert len(top) == ceil_share(top_share, len(table))
    assert not set(top) & set(rand) and len(set(rand)) == len(rand)
    score = simulate.combined_score(table, p, weight)
    # the rule set's random picks come first, then the highest combined scores
    first = [i for i in top if table.random_pick[i]]
    assert top[:len(first)] == first
    if len(first) < len(top):
        rest_top = [i for i in top if not table.random_pick[i]]
        outside = [i for i in range(len(table)) if i not in top]
        if outside:
            assert min(score[rest_top]) >= max(score[i] for i in outside if not table.random_pick[i]) \
                if any(not table.random_pick[i] for i in outside) else True
    if random_share == 0:
        assert rand == []


def test_pool_weights_are_inverse_propensities():
    pool = simulate.Pool()
    pool.add("D:a", [0.0] * len(FEATURE_NAMES), True, 1.0, 0)
    pool.add("D:b", [0.0] * len(FEATURE_NAMES), False, 1 / 0.02, 1)
    ts = pool.training_set()
    assert list(ts.w) == [1.0, 50.0] and list(ts.y) == [1, 0] and ts.window == {"from_week": 0, "to_week": 1}
    assert list(pool.training_set(weighted=False).w) == [1.0, 1.0]


def test_tally_counts_precision_recall_revenue_and_instances():
    table = synthetic_table([90, 80, 70, 0, 0, 0, 0, 0, 0, 0], [False] * 10,
                            [True, False, True, False, False, False, False, False, False, True])
    order = simulate.ranking(table.rule_points, table.tiebreak)
    acc = evaluate._empty()
    evaluate.tally(acc, table, order, 0.3)
    res = evaluate.finish(acc, int(table.fraud.sum()), float(table.revenue.sum()))
    assert res["inspected"] == 3 and res["fraud_found"] == 2
    assert res["precision"] == pytest.approx(2 / 3, abs=1e-4) and res["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert res["revenue"] == 200.0 and res["scenarios"]["X"] == {"planted": 3, "caught": 2, "recall": 0.6667}


@pytest.fixture(scope="module")
def simulation(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    report = simulate.run_simulation(out, weeks=3, per_day=25, seed=3, rate=0.01, new_pattern="SEAL_TAMPERING",
                                     new_pattern_week=2, top_share=0.05, random_share=0.1,
                                     params={"n_estimators": 10})
    return out, report


def test_simulation_bookkeeping(simulation):
    out, report = simulation
    rows = report["rows"]
    assert [r["week"] for r in rows] == [0, 1, 2]
    labels = 0
    positives = 0
    published = None
    for r in rows:
        assert r["inspected"] == r["inspected_top"] + r["inspected_random"]
        assert r["inspected_top"] == ceil_share(0.05, r["assessed"])
        assert r["found"] == r["found_top"] + r["found_random"] <= r["fraud"]
        # the model of a week is the one published after the week before
        assert r["model"] == published
        published = r.get("published", published)
        # labels only grow, by at most what was inspected, positives by at most what was found
        assert labels <= r["labels"]["total"] <= labels + r["inspected"]
        assert positives <= r["labels"]["positive"] <= positives + r["found"]
        labels, positives = r["labels"]["total"], r["labels"]["positive"]
    assert rows[0]["model"] is None and rows[0]["precision_at_5"]["model"] is None
    # the held-back scenario is absent before its week and present from it on
    assert [r["new_pattern"]["present"] for r in rows] == [False, False, True]
    saved = json.loads((out / "simulation.json").read_text())
    assert saved["rows"] == json.loads(json.dumps(rows))
    assert (out / "simulation.png").stat().st_size > 1000
    assert "| week | model |" in (out / "simulation.md").read_text()
    versions = sorted(p.name for p in (out / "registry" / "sim").iterdir() if p.is_dir())
    assert versions == sorted(r["published"] for r in rows if "published" in r)


def test_week_table_marks_the_ground_truth(simulation):
    out, report = simulation
    table = simulate.week_table(out / "traffic" / "week-02")
    truth = json.loads((out / "traffic" / "week-02" / "ground_truth.json").read_text())
    targets = {t for i in truth["instances"] if i["scenario"] != "UNDECLARED_CONSIGNMENT" for t in i["targets"]}
    marked = {k[2:] for k, f in zip(table.keys, table.fraud) if f and k.startswith("D:")}
    assert marked == targets
    assert len(table.instances) == len(truth["instances"])
    assert (table.revenue[table.fraud] > 0).mean() > 0.5 and math.isfinite(table.revenue.sum())
    assert not table.scorable[[k.startswith("H:") for k in table.keys]].any()


def test_simulation_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="weeks"):
        simulate.run_simulation(tmp_path, weeks=0)
    with pytest.raises(ValueError, match="top_share"):
        simulate.run_simulation(tmp_path, weeks=1, top_share=1.5)
