"""Backtesting a candidate rule set against the baseline over archived history.

    run_backtest("archive/", "2026-11-02", "2026-11-06", "default", EXAMPLE_CANDIDATE, "out/backtest")

Rule sets: a RuleSet, a name, a full file or an overlay (`extends: default` + the changes;
pipelines/rulesets.py).

replays both rule sets over the same days in one Beam pipeline (the archive is read once; each
rule set runs the full replay of pipelines/replay.py), joins the assessments with the control
results in the archive (officers' findings, by declaration_id) and writes

    out/backtest/backtest.md         the report (tables + charts)
    out/backtest/backtest.json       the same figures, machine-readable
    out/backtest/*.png               charts (matplotlib)
    out/backtest/{baseline,candidate}/assessments.avro, alerts.avro

Bookkeeping (`compare`, pure and unit-tested):
- a subject is a declaration (declaration_id) or an undeclared house document ("HOUSE:" + house);
- known outcome of a subject: HIT when any control result found IRREGULARITY or SEIZURE,
  NO_FINDING when it was controlled without such a finding, else unknown;
- a risk alert is a high-risk outcome that stands without the random draw
  (borderflow.summary.risk_driven_alert); random picks are reported apart, since the draw is a
  hash of the rule-set version and a new version draws a new sample by design;
- gained = risk alert under the candidate, not under the baseline; lost = the reverse;
- hit rate = HIT / (risk alerts with a known outcome); workload = alerts (random picks included)
  per replayed day;
- per code: how many assessments it contributed points to (fired), how many of those have a
  known outcome, and how many of those were HIT (right).
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from pathlib import Path

from borderflow.summary import risk_driven_alert
from pipelines import archive as arc
from transforms.assessment import final_assessments
from transforms.rules import ASSESSMENT_COMPLETE, REQUEST_FOR_INFORMATION

log = logging.getLogger("borderflow.backtest")

# An example candidate: an overlay on the default rule set raising the undervaluation ratio.
EXAMPLE_CANDIDATE = Path(__file__).resolve().parent / "examples" / "candidate-ruleset.yaml"
HIT_FINDINGS = frozenset({"IRREGULARITY", "SEIZURE"})
HIT, NO_FINDING, UNKNOWN = "HIT", "NO_FINDING", "UNKNOWN"
MAX_CHANGED_ROWS = 50


# --- bookkeeping ----------------------------------------------------------------------------------

def subject(assessment: dict) -> str:
    return assessment["declaration_id"] or "HOUSE:" + assessment["house_document"]


def known_outcomes(control_results) -> dict[str, str]:
    """declaration_id -> HIT or NO_FINDING from control results (any hit wins)."""
    out: dict[str, str] = {}
    for c in control_results:
        did = c["declaration_id"]
        if c["finding"] in HIT_FINDINGS:
            out[did] = HIT
        else:
            out.setdefault(did, NO_FINDING)
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def first_days(assessments) -> dict[str, str]:
    """subject -> the day its lifecycle started (its first assessment: the filing's day)."""
    first: dict[str, int] = {}
    for a in assessments:
        s = subject(a)
        first[s] = min(first.get(s, a["event_time_ms"]), a["event_time_ms"])
    return {s: arc.day_of(t).isoformat() for s, t in first.items()}


def side_stats(assessments: list[dict], outcomes: dict[str, str], alert_score: float, days: list[str],
               day_of_subject: dict[str, str] | None = None) -> dict:
    """The figures of one rule set's replay over `days` (ISO dates), from the final assessment of
    each lifecycle (its recommendation: outcomes are never lowered by evidence alone); alerts by
    the day their lifecycle started (`first_days`)."""
    day_of_subject = day_of_subject or first_days(assessments)
    risk = [a for a in assessments if risk_driven_alert(a, alert_score)]
    alerts = [a for a in assessments if a["alert"]]
    known = [a for a in risk if outcomes.get(subject(a)) is not None]
    hits = [a for a in known if outcomes[subject(a)] == HIT]
    assessed = {subject(a) for a in assessments}
    risk_subjects = {subject(a) for a in risk}
    all_hits = {s for s in assessed if outcomes.get(s) == HIT}
    randoms = [a for a in alerts if not risk_driven_alert(a, alert_score)]
    random_known = [a for a in randoms if outcomes.get(subject(a)) is not None]
    per_day = Counter({d: 0 for d in days})
    per_day.update(day_of_subject[subject(a)] for a in alerts)
    return {
        "assessments": len(assessments),
        "alerts": len(alerts),
        "risk_alerts": len(risk),
        "random_alerts": len(randoms),
        "alerts_per_day": round(len(alerts) / len(days), 2) if days else None,
        "alerts_by_day": dict(sorted(per_day.items())),
        "risk_alerts_with_known_outcome": len(known),
        "hits": len(hits),
        "hit_rate": _ratio(len(hits), len(known)),
        "random_hit_rate": _ratio(sum(outcomes[subject(a)] == HIT for a in random_known), len(random_known)),
        "known_hits": len(all_hits),
        "known_hits_alerted": len(all_hits & risk_subjects),
        "known_hits_missed": len(all_hits - risk_subjects),
        "outcomes": dict(sorted(Counter(a["outcome"] for a in assessments).items())),
    }


def risk_outcome(a: dict, ruleset) -> str:
    """The outcome without the random draw: a random pick below the alert score would otherwise
    have been a REQUEST_FOR_INFORMATION or ASSESSMENT_COMPLETE (transforms.scoring)."""
    if a["random_selection"] and a["score"] < ruleset.alert_score:
        return REQUEST_FOR_INFORMATION if a["score"] >= ruleset.rfi_score else ASSESSMENT_COMPLETE
    return a["outcome"]


def _fired_codes(a: dict) -> set[str]:
    return {e["code"] for e in a["scorecard"] if e["contribution"] > 0}


def code_stats(assessments: list[dict], outcomes: dict[str, str]) -> dict[str, dict]:
    """Per code: fired (assessments it added points to), known (of those, with a known outcome),
    right (of those, HIT), precision = right / known."""
    rows: dict[str, Counter] = defaultdict(Counter)
    for a in assessments:
        o = outcomes.get(subject(a))
        for code in _fired_codes(a):
            row = rows[code]
            row["fired"] += 1
            if o is not None:
                row["known"] += 1
                row["right"] += o == HIT
    return {code: {"fired": r["fired"], "known": r["known"], "right": r["right"],
                   "precision": _ratio(r["right"], r["known"])} for code, r in sorted(rows.items())}


def _by_outcome(subjects, outcomes) -> dict:
    c = Counter(outcomes.get(s, UNKNOWN) for s in subjects)
    return {"total": len(subjects), HIT: c[HIT], NO_FINDING: c[NO_FINDING], UNKNOWN: c[UNKNOWN]}


def compare(baseline: list[dict], candidate: list[dict], control_results, baseline_rs, candidate_rs, days,
            max_changed_rows: int = MAX_CHANGED_ROWS) -> dict:
    """Everything the report shows, from the two replays' assessments and the control results.
    baseline_rs / candidate_rs: the RuleSets (alert_score, rfi_score, version); days: the
    replayed days (ISO dates, or dates). Each side is taken as the final assessment of each
    lifecycle (transforms.assessment.final_assessments)."""
    days = [arc.as_day(d).isoformat() for d in days]
    a_days, b_days = first_days(baseline), first_days(candidate)
    baseline, candidate = final_assessments(baseline), final_assessments(candidate)
    outcomes = known_outcomes(control_results)
    a_by = {subject(a): a for a in baseline}
    b_by = {subject(a): a for a in candidate}
    a_risk = {s for s, a in a_by.items() if risk_driven_alert(a, baseline_rs.alert_score)}
    b_risk = {s for s, a in b_by.items() if risk_driven_alert(a, candidate_rs.alert_score)}
    gained, lost = sorted(b_risk - a_risk), sorted(a_risk - b_risk)
    changed, random_only = [], 0
    for s in sorted(set(a_by) | set(b_by)):
        a, b = a_by.get(s), b_by.get(s)
        if a is not None and b is not None and a["outcome"] == b["outcome"]:
            continue
        if a is not None and b is not None and risk_outcome(a, baseline_rs) == risk_outcome(b, candidate_rs):
            random_only += 1  # only the random draw differs (it depends on the rule-set version)
            continue
        ca, cb = (_fired_codes(a) if a else set()), (_fired_codes(b) if b else set())
        changed.append({
            "subject": s,
            "baseline_outcome": a["outcome"] if a else None, "baseline_score": a["score"] if a else None,
            "baseline_random": bool(a and a["random_selection"]),
            "candidate_outcome": b["outcome"] if b else None, "candidate_score": b["score"] if b else None,
            "candidate_random": bool(b and b["random_selection"]),
            "codes_added": sorted(cb - ca), "codes_removed": sorted(ca - cb),
            "known_outcome": outcomes.get(s, UNKNOWN),
        })
    changed.sort(key=lambda r: (-abs((r["candidate_score"] or 0) - (r["baseline_score"] or 0)), r["subject"]))
    return {
        "days": len(days),
        "day_list": days,
        "baseline": {"ruleset": baseline_rs.version,
                     **side_stats(baseline, outcomes, baseline_rs.alert_score, days, a_days)},
        "candidate": {"ruleset": candidate_rs.version,
                      **side_stats(candidate, outcomes, candidate_rs.alert_score, days, b_days)},
        "gained": {**_by_outcome(gained, outcomes), "subjects": gained},
        "lost": {**_by_outcome(lost, outcomes), "subjects": lost},
        "codes": {"baseline": code_stats(baseline, outcomes), "candidate": code_stats(candidate, outcomes)},
        "changed_outcomes": len(changed),
        "changed_by_random_draw_only": random_only,
        "changed": changed[:max_changed_rows],
    }


# --- charts ---------------------------------------------------------------------------------------

def write_charts(stats: dict, out_dir) -> list[str]:
    """PNG charts of the comparison; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    names = []
    a_name, b_name = f"baseline {stats['baseline']['ruleset']}", f"candidate {stats['candidate']['ruleset']}"

    # 1. workload: alerts per filing day
    days = stats.get("day_list") or sorted(set(stats["baseline"]["alerts_by_day"]) | set(stats["candidate"]["alerts_by_day"]))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = range(len(days))
    ax.bar([i - 0.2 for i in x], [stats["baseline"]["alerts_by_day"].get(d, 0) for d in days], 0.4, label=a_name)
    ax.bar([i + 0.2 for i in x], [stats["candidate"]["alerts_by_day"].get(d, 0) for d in days], 0.4, label=b_name)
    ax.set_xticks(list(x), days, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("alerts")
    ax.set_title("Workload: alerts per day (by filing day)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "alerts_per_day.png", dpi=100)
    plt.close(fig)
    names.append("alerts_per_day.png")

    # 2. alerts gained and lost, by known outcome
    fig, ax = plt.subplots(figsize=(5, 3.5))
    bottoms = [0, 0]
    for label, color in ((HIT, "#c0392b"), (NO_FINDING, "#7f8c8d"), (UNKNOWN, "#bdc3c7")):
        vals = [stats["gained"][label], stats["lost"][label]]
        ax.bar(["gained", "lost"], vals, bottom=bottoms, color=color, label=label.replace("_", " ").lower())
        bottoms = [b + v for b, v in zip(bottoms, vals)]
    ax.set_ylabel("risk alerts")
    ax.set_title("Alerts gained and lost by the candidate")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "gained_lost.png", dpi=100)
    plt.close(fig)
    names.append("gained_lost.png")

    # 3. per code: how often it fired
    codes = sorted(set(stats["codes"]["baseline"]) | set(stats["codes"]["candidate"]))
    if codes:
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(codes) + 1.2))
        y = range(len(codes))
        ax.barh([i + 0.2 for i in y], [stats["codes"]["baseline"].get(c, {}).get("fired", 0) for c in codes], 0.4,
                label=a_name)
        ax.barh([i - 0.2 for i in y], [stats["codes"]["candidate"].get(c, {}).get("fired", 0) for c in codes], 0.4,
                label=b_name)
        ax.set_yticks(list(y), codes, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("assessments it contributed points to")
        ax.set_title("Rules and indicators fired")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "codes_fired.png", dpi=100)
        plt.close(fig)
        names.append("codes_fired.png")
    return names


# --- the report -----------------------------------------------------------------------------------

_RATIOS = frozenset({"hit_rate", "random_hit_rate", "precision"})


def _fmt(v, pct: bool = False) -> str:
    if v is None:
        return "–"
    if pct:
        return f"{v:.1%}"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _delta(a, b, pct: bool = False) -> str:
    if a is None or b is None or isinstance(a, str):
        return ""
    if pct:
        return f"{b - a:+.1%}"
    if isinstance(a, float) or isinstance(b, float):
        return f"{b - a:+g}"
    return f"{b - a:+d}"


def render_markdown(stats: dict, day_from, day_to, charts: list[str], archive_dir=None) -> str:
    A, B = stats["baseline"], stats["candidate"]
    lines = [
        f"# Backtest: rule set {B['ruleset']} against {A['ruleset']}",
        "",
        f"Days {day_from} to {day_to} ({stats['days']} day{'s' if stats['days'] != 1 else ''}) replayed from the archive"
        + (f" `{archive_dir}`" if archive_dir else "") + " with the live job's logic (Beam replay); "
        "known outcomes from the control results in the archive.",
        "",
        "| | baseline | candidate | change |",
        "| --- | ---: | ---: | ---: |",
    ]
    rows = [
        ("rule set", "ruleset"), ("assessments", "assessments"), ("alerts (workload)", "alerts"),
        ("alerts per day", "alerts_per_day"), ("risk alerts", "risk_alerts"),
        ("random picks that alerted", "random_alerts"),
        ("risk alerts with a known outcome", "risk_alerts_with_known_outcome"), ("hits (irregularity, seizure)", "hits"),
        ("hit rate of risk alerts", "hit_rate"), ("hit rate of random picks", "random_hit_rate"),
        ("known hits alerted", "known_hits_alerted"), ("known hits missed", "known_hits_missed"),
    ]
    for label, key in rows:
        a, b, pct = A[key], B[key], key in _RATIOS
        lines.append(f"| {label} | {_fmt(a, pct)} | {_fmt(b, pct)} | {_delta(a, b, pct)} |")
    g, lo = stats["gained"], stats["lost"]
    lines += [
        "",
        "## Alerts gained and lost",
        "",
        "| | total | hit | no finding | not controlled |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| gained (risk alert only under the candidate) | {g['total']} | {g[HIT]} | {g[NO_FINDING]} | {g[UNKNOWN]} |",
        f"| lost (risk alert only under the baseline) | {lo['total']} | {lo[HIT]} | {lo[NO_FINDING]} | {lo[UNKNOWN]} |",
        "",
    ]
    titles = {"alerts_per_day.png": "Workload per day", "gained_lost.png": "Alerts gained and lost",
              "codes_fired.png": "Rules and indicators fired"}
    for c in charts:
        lines.append(f"![{titles.get(c, c)}]({c})")
        lines.append("")
    lines += [
        "## Rules and indicators",
        "",
        "Fired: assessments the code added points to. Right: of those with a known outcome, how many were hits.",
        "",
        "| code | fired (baseline) | right / known | precision | fired (candidate) | right / known | precision |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ca, cb = stats["codes"]["baseline"], stats["codes"]["candidate"]
    empty = {"fired": 0, "known": 0, "right": 0, "precision": None}
    for code in sorted(set(ca) | set(cb)):
        x, y = ca.get(code, empty), cb.get(code, empty)
        lines.append(f"| {code} | {x['fired']} | {x['right']} / {x['known']} | {_fmt(x['precision'], True)} "
                     f"| {y['fired']} | {y['right']} / {y['known']} | {_fmt(y['precision'], True)} |")
    lines += [
        "",
        f"## Declarations whose outcome changed ({stats['changed_outcomes']})",
        "",
        f"Besides these, {stats['changed_by_random_draw_only']} outcome(s) changed only because the random draw "
        "differs (it depends on the rule-set version). Scores in brackets; * = picked by random selection.",
        "",
    ]
    if stats["changed"]:
        lines += ["| subject | baseline | candidate | codes added | codes removed | known outcome |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in stats["changed"]:
            lines.append(
                f"| {r['subject']} | {r['baseline_outcome'] or '–'} ({_score(r['baseline_score'])})"
                f"{'*' if r['baseline_random'] else ''} "
                f"| {r['candidate_outcome'] or '–'} ({_score(r['candidate_score'])})"
                f"{'*' if r['candidate_random'] else ''} "
                f"| {', '.join(r['codes_added']) or '–'} | {', '.join(r['codes_removed']) or '–'} "
                f"| {r['known_outcome'].replace('_', ' ').lower()} |")
        if stats["changed_outcomes"] > len(stats["changed"]):
            lines.append(f"\n… and {stats['changed_outcomes'] - len(stats['changed'])} more (largest score changes "
                         "first; all in candidate/assessments.avro and baseline/assessments.avro).")
    else:
        lines.append("None.")
    lines += [
        "",
        "## How to read this",
        "",
        "- A risk alert is a high-risk outcome that stands without the random draw; random picks count in the "
        "workload but not in gained/lost or the hit rate (the draw depends on the rule-set version, so two "
        "versions pick different samples by design). The hit rate of random picks is the base rate to beat.",
        "- Known outcomes come from control results: only controlled declarations have one, and controls were "
        "chosen by the rules in force at the time, so hit rates are indicative, not unbiased estimates.",
        "- A declaration is counted on the day of its first filing (an undeclared consignment on the day its "
        "manifest line was filed).",
        "",
    ]
    return "\n".join(lines)


def _score(s) -> str:
    return "–" if s is None else f"{s:g}"


# --- running --------------------------------------------------------------------------------------

def run_backtest(archive_dir, day_from, day_to, baseline_ruleset, candidate_ruleset, out_dir, *,
                 runner: str = "DirectRunner", max_changed_rows: int = MAX_CHANGED_ROWS, options=None,
                 out_of_orderness_ms: int | None = None) -> dict:
    """Replay both rule sets over days [day_from, day_to] and write the report; returns the stats
    (with "report" = path of backtest.md)."""
    import apache_beam as beam

    from pipelines import replay, rulesets
    from schemas import codec

    ooo = replay.DEFAULT_OUT_OF_ORDERNESS_MS if out_of_orderness_ms is None else out_of_orderness_ms
    rs_a, rs_b = rulesets.load(baseline_ruleset), rulesets.load(candidate_ruleset)
    if rs_a.version == rs_b.version:
        log.warning("baseline and candidate have the same version %s: bump the candidate's version", rs_a.version)
    wa = arc.replay_window(day_from, day_to, rs_a, ooo)
    wb = arc.replay_window(day_from, day_to, rs_b, ooo)
    files = arc.archive_files(archive_dir, min(wa.read_from, wb.read_from), max(wa.read_to, wb.read_to))
    if not files:
        raise FileNotFoundError(f"no archive files in {archive_dir} around {day_from}..{day_to}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log.info("backtest %s vs %s over %s..%s: %d part files", rs_b.version, rs_a.version, wa.day_from, wa.day_to, len(files))
    started = time.perf_counter()
    with replay.beam_registries():
        pipeline = beam.Pipeline(options=options or replay.pipeline_options(runner))
        raw = pipeline | "ReadArchive" >> replay.ReadArchive(files)
        replay.build_replay(pipeline, raw, rs_a, window=wa, out_dir=out / "baseline", label="Baseline/",
                            out_of_orderness_ms=ooo)
        replay.build_replay(pipeline, raw, rs_b, window=wb, out_dir=out / "candidate", label="Candidate/",
                            out_of_orderness_ms=ooo)
        pipeline.run().wait_until_finish()
    wall = time.perf_counter() - started

    baseline = list(codec.read_avro_file(out / "baseline" / "assessments.avro"))
    candidate = list(codec.read_avro_file(out / "candidate" / "assessments.avro"))
    # Controls come after the decision, up to weeks later: read them to the end of the archive.
    last = max([arc.as_day(d) for d in arc.archive_days(archive_dir, ["control_results"])], default=wa.day_to)
    controls = [r for _, r in arc.read_archive(archive_dir, day_from, max(last, wa.day_to), ["control_results"])]
    days = arc.days_between(day_from, day_to)
    stats = compare(baseline, candidate, controls, rs_a, rs_b, days, max_changed_rows)
    stats["control_results"] = len(controls)
    stats["wall_seconds"] = round(wall, 2)
    charts = write_charts(stats, out)
    report = out / "backtest.md"
    report.write_text(render_markdown(stats, wa.day_from, wa.day_to, charts, archive_dir), encoding="utf-8")
    (out / "backtest.json").write_text(json.dumps(stats, indent=2) + "\n")
    stats["report"] = str(report)
    log.info("backtest done in %.1f s: %s", wall, report)
    return stats
