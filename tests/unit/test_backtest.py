"""Backtest bookkeeping (pipelines/backtest.py) on hand-made assessments: gained and lost alerts,
hit rates, workload, per-code precision, changed outcomes; and the report on a tiny archive."""
from dataclasses import dataclass

import pytest

from pipelines import archive as arc
from pipelines import backtest as bt
from transforms.rules import load_ruleset

DAY1 = arc.day_start_ms("2026-11-02")
DAY2 = arc.day_start_ms("2026-11-03")


@dataclass
class RS:
    version: str
    alert_score: float = 60.0
    rfi_score: float = 30.0


A, B = RS("base-1"), RS("cand-1")


def assessment(subject, score, codes=(), outcome=None, random=False, filed=DAY1, house=None):
    alert_outcomes = ("HIGH_RISK_SCREENING", "DO_NOT_LOAD", "CONTROL_ON_ARRIVAL")
    if outcome is None:
        outcome = "HIGH_RISK_SCREENING" if score >= 60 or random else (
            "REQUEST_FOR_INFORMATION" if score >= 30 else "ASSESSMENT_COMPLETE")
    card = [{"kind": "CROSS_CHECK", "code": c, "detail": c, "contribution": p} for c, p in codes]
    if random:
        card.append({"kind": "RANDOM", "code": "RANDOM_SELECTION", "detail": "r", "contribution": 0.0})
    return {"assessment_id": f"{subject}#1", "declaration_id": None if house else subject, "declaration_version": 1,
            "house_document": house or f"H-{subject}", "score": float(score), "outcome": outcome,
            "alert": outcome in alert_outcomes, "scorecard": card, "model_score": None, "model_version": None,
            "ruleset_version": "x", "random_selection": random, "event_time_ms": filed,
            "processing_time_ms": 0}


def control(did, finding):
    return {"declaration_id": did, "control_type": "SCAN", "finding": finding, "seizure_category": None,
            "recovered_amount_eur": 0.0, "controlled_at_ms": DAY2}


BASELINE = [
    assessment("D1", 60, [("UNDERVALUATION", 60)]),                       # alert, hit, kept
    assessment("D2", 70, [("SPLIT_SHIPMENT", 70)]),                       # alert, no finding, lost
    assessment("D3", 0),                                                  # quiet, hit, gained
    assessment("D4", 0, filed=DAY2),                                      # quiet, not controlled, gained
    assessment("D5", 0, random=True),                                     # random pick only (baseline)
    assessment("D6", 35, [("HIGH_RISK_ORIGIN", 20), ("TEST_SHIPMENT", 15)]),  # RFI both sides
    assessment("D7", 65, [("SEAL_TAMPERING", 65)], random=True, filed=DAY2),  # alert that stands, random too
    assessment(None, 80, [("UNDECLARED_CONSIGNMENT", 80)], house="HBL9", outcome="CONTROL_ON_ARRIVAL"),
]
CANDIDATE = [
    assessment("D1", 60, [("UNDERVALUATION", 60)]),
    assessment("D2", 20, [("HIGH_RISK_ORIGIN", 20)]),
    assessment("D3", 60, [("UNDERVALUATION", 60)]),
    assessment("D4", 60, [("UNDERVALUATION", 60)], filed=DAY2),
    assessment("D5", 0),
    assessment("D6", 35, [("HIGH_RISK_ORIGIN", 20), ("TEST_SHIPMENT", 15)]),
    assessment("D7", 65, [("SEAL_TAMPERING", 65)], filed=DAY2),
    assessment(None, 80, [("UNDECLARED_CONSIGNMENT", 80)], house="HBL9", outcome="CONTROL_ON_ARRIVAL"),
    assessment("D8", 0, random=True),  # only the candidate assessed it (not an alert by risk)
]
CONTROLS = [control("D1", "SEIZURE"), control("D2", "NO_FINDING"), control("D3", "NO_FINDING"),
            control("D3", "IRREGULARITY"), control("D5", "NO_FINDING"), control("D6", "NO_FINDING")]
DAYS = ["2026-11-02", "2026-11-03"]


@pytest.fixture
def stats():
    return bt.compare(BASELINE, CANDIDATE, CONTROLS, A, B, DAYS)


def test_known_outcomes_a_hit_wins():
    k = bt.known_outcomes(CONTROLS)
    assert k == {"D1": "HIT", "D2": "NO_FINDING", "D3": "HIT", "D5": "NO_FINDING", "D6": "NO_FINDING"}


def test_gained_and_lost_are_risk_alerts_with_their_known_outcome(stats):
    assert stats["gained"] == {"total": 2, "HIT": 1, "NO_FINDING": 0, "UNKNOWN": 1, "subjects": ["D3", "D4"]}
    assert stats["lost"] == {"total": 1, "HIT": 0, "NO_FINDING": 1, "UNKNOWN": 0, "subjects": ["D2"]}


def test_hit_rate_and_workload(stats):
    a, b = stats["baseline"], stats["candidate"]
    # baseline risk alerts: D1 (hit), D2 (no finding), D7 (stands without the draw), HBL9
    assert (a["alerts"], a["risk_alerts"], a["random_alerts"]) == (5, 4, 1)
    assert (a["risk_alerts_with_known_outcome"], a["hits"], a["hit_rate"]) == (2, 1, 0.5)
    assert a["alerts_per_day"] == 2.5 and a["alerts_by_day"] == {"2026-11-02": 4, "2026-11-03": 1}
    assert a["random_hit_rate"] == 0.0  # D5 was controlled, nothing found
    assert (a["known_hits"], a["known_hits_alerted"], a["known_hits_missed"]) == (2, 1, 1)
    # candidate risk alerts: D1, D3, D4, D7, HBL9; D8 is a random pick
    assert (b["alerts"], b["risk_alerts"], b["random_alerts"]) == (6, 5, 1)
    assert (b["risk_alerts_with_known_outcome"], b["hits"], b["hit_rate"]) == (2, 2, 1.0)
    assert b["alerts_per_day"] == 3.0 and b["alerts_by_day"] == {"2026-11-02": 4, "2026-11-03": 2}
    assert b["random_hit_rate"] is None  # D8 not controlled
    assert (b["known_hits_alerted"], b["known_hits_missed"]) == (2, 0)
    assert (a["ruleset"], b["ruleset"], stats["days"]) == ("base-1", "cand-1", 2)


def test_per_code_fired_and_right(stats):
    a, b = stats["codes"]["baseline"], stats["codes"]["candidate"]
    assert a["UNDERVALUATION"] == {"fired": 1, "known": 1, "right": 1, "precision": 1.0}
    assert a["SPLIT_SHIPMENT"] == {"fired": 1, "known": 1, "right": 0, "precision": 0.0}
    assert a["UNDECLARED_CONSIGNMENT"] == {"fired": 1, "known": 0, "right": 0, "precision": None}
    assert "RANDOM_SELECTION" not in a  # no points: not a reason
    assert b["UNDERVALUATION"] == {"fired": 3, "known": 2, "right": 2, "precision": 1.0}
    assert b["HIGH_RISK_ORIGIN"] == {"fired": 2, "known": 2, "right": 0, "precision": 0.0}


def test_changed_outcomes_leave_out_random_draw_differences(stats):
    rows = {r["subject"]: r for r in stats["changed"]}
    # D5 changed only by the random draw (D7 kept its outcome); D8 was assessed by one side only
    assert set(rows) == {"D2", "D3", "D4", "D8"}
    assert stats["changed_outcomes"] == 4 and stats["changed_by_random_draw_only"] == 1
    assert rows["D2"]["codes_added"] == ["HIGH_RISK_ORIGIN"] and rows["D2"]["codes_removed"] == ["SPLIT_SHIPMENT"]
    assert rows["D3"]["known_outcome"] == "HIT" and rows["D4"]["known_outcome"] == "UNKNOWN"
    assert rows["D8"]["baseline_outcome"] is None and rows["D8"]["candidate_random"]
    # largest score change first, capped
    assert [r["subject"] for r in stats["changed"]][:3] == ["D3", "D4", "D2"]
    capped = bt.compare(BASELINE, CANDIDATE, CONTROLS, A, B, DAYS, max_changed_rows=1)
    assert len(capped["changed"]) == 1 and capped["changed_outcomes"] == 4


def test_risk_outcome_undoes_only_the_random_raise():
    assert bt.risk_outcome(assessment("X", 0, random=True), A) == "ASSESSMENT_COMPLETE"
    assert bt.risk_outcome(assessment("X", 40, random=True), A) == "REQUEST_FOR_INFORMATION"
    assert bt.risk_outcome(assessment("X", 65, random=True), A) == "HIGH_RISK_SCREENING"


def test_report_and_charts(stats, tmp_path):
    charts = bt.write_charts(stats, tmp_path)
    assert charts == ["alerts_per_day.png", "gained_lost.png", "codes_fired.png"]
    for c in charts:
        assert (tmp_path / c).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = bt.render_markdown(stats, "2026-11-02", "2026-11-03", charts)
    assert md.startswith("# Backtest: rule set cand-1 against base-1")
    for needle in ("| hit rate of risk alerts | 50.0% | 100.0% | +50.0% |", "| alerts per day | 2.5 | 3 | +0.5 |",
                   "| gained (risk alert only under the candidate) | 2 | 1 | 0 | 1 |", "![Workload per day](alerts_per_day.png)",
                   "| UNDERVALUATION | 1 | 1 / 1 | 100.0% | 3 | 2 / 2 | 100.0% |", "## Declarations whose outcome changed (4)"):
        assert needle in md, needle


def test_run_backtest_end_to_end(tmp_path):
    from generator.traffic import generate

    generate(tmp_path / "traffic", days=1, seed=5, declarations_per_day=120)
    arc.write_archive(tmp_path / "traffic", tmp_path / "archive")
    stats = bt.run_backtest(tmp_path / "archive", "2026-11-02", "2026-11-02", "default",
                            bt.EXAMPLE_CANDIDATE, tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "backtest.md").exists() and (out / "backtest.json").exists()
    assert (out / "baseline" / "assessments.avro").exists() and (out / "candidate" / "assessments.avro").exists()
    base = load_ruleset().version
    assert (stats["baseline"]["ruleset"], stats["candidate"]["ruleset"]) == (base, base + "+uv60")
    assert stats["baseline"]["assessments"] == stats["candidate"]["assessments"] > 100
    # the candidate only lowers the undervaluation bar: it can gain alerts, never lose one
    assert stats["lost"]["total"] == 0
    assert stats["codes"]["candidate"]["UNDERVALUATION"]["fired"] >= stats["codes"]["baseline"]["UNDERVALUATION"]["fired"]
