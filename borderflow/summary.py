"""The run summary: what went in, what came out, and how the planted scenarios fared.

`scenarios[code]` counts instances planted and caught; an instance is caught when one of its
targets got a high-risk outcome for a reason other than random selection (docs/scenarios.md), and
caught `in_time` when the first such outcome came before the instance's deadline (ground truth:
its loading for what the filings show, its arrival for what the voyage shows).
`false_alert_rate` is the share of honest declarations (in no instance) given a high-risk
outcome in their lifecycle, random selection aside. `lifecycle`: assessments per declaration and
per phase.
"""
from __future__ import annotations

from collections import Counter

from transforms.assessment import raises_alert


def scenario_results(assessments: list[dict], ground_truth: dict, alert_score: float) -> tuple[dict, float, dict]:
    risk_alerts = [a for a in assessments if risk_driven_alert(a, alert_score)]
    # When each subject was first alerted (event time): a catch counts `in_time` when that comes
    # before the instance's deadline (its loading, or its arrival: ground truth `deadline_ms`).
    first_alert: dict[str, int] = {}
    for a in risk_alerts:
        s = a["declaration_id"] or "HOUSE:" + a["house_document"]
        first_alert[s] = min(first_alert.get(s, a["event_time_ms"]), a["event_time_ms"])
    scenarios: dict[str, dict] = {}
    touched: set[str] = set()
    for inst in ground_truth["instances"]:
        row = scenarios.setdefault(inst["scenario"], {"planted": 0, "caught": 0, "in_time": 0})
        row["planted"] += 1
        touched.update(inst["declaration_ids"])
        if inst["scenario"] == "UNDECLARED_CONSIGNMENT":
            subjects = ["HOUSE:" + h for h in inst["house_documents"]]
        else:
            subjects = inst["targets"]
        times = [first_alert[s] for s in subjects if s in first_alert]
        row["caught"] += int(bool(times))
        deadline = inst.get("deadline_ms")
        if times and (deadline is None or min(times) <= deadline):
            row["in_time"] += 1
        if deadline is not None:
            row["in_time_by"] = inst.get("in_time_by")
    for row in scenarios.values():
        row["recall"] = round(row["caught"] / row["planted"], 4) if row["planted"] else None
        row["in_time_share"] = round(row["in_time"] / row["caught"], 4) if row["caught"] else None
    honest = {a["declaration_id"] for a in assessments if a["declaration_id"] and a["declaration_id"] not in touched}
    false_alerts = sum(1 for d in honest if d in first_alert)
    rate = false_alerts / len(honest) if honest else 0.0
    return scenarios, rate, {"honest_assessed": len(honest), "honest_alerted": false_alerts}


def lifecycle_stats(assessments: list[dict]) -> dict:
    """Assessments per declaration (mean, p99, max: re-assessment must not flood the sinks) and
    per phase."""
    per: Counter = Counter(a["declaration_id"] for a in assessments if a["declaration_id"])
    counts = sorted(per.values())
    out = {
        "by_phase": dict(sorted(Counter(a.get("phase") or "NONE" for a in assessments).items())),
        "per_declaration_mean": round(sum(counts) / len(counts), 3) if counts else None,
        "per_declaration_p99": counts[min(len(counts) - 1, int(0.99 * len(counts)))] if counts else None,
        "per_declaration_max": counts[-1] if counts else None,
    }
    return out


def summarise(events_in: Counter, assessments: list[dict], dead_letters: list[dict], wall_seconds: float,
              ground_truth: dict | None, alert_score: float) -> dict:
    summary = {
        "events_in": dict(sorted(events_in.items())),
        "events_in_total": sum(events_in.values()),
        "assessments": len(assessments),
        "assessments_by_outcome": dict(sorted(Counter(a["outcome"] for a in assessments).items())),
        "alerts": sum(1 for a in assessments if raises_alert(a)),
        "random_selections": sum(1 for a in assessments if a["random_selection"]),
        "dead_letters": len(dead_letters),
        "dead_letters_by_reason": dict(sorted(Counter(d["error_kind"] for d in dead_letters).items())),
        "wall_seconds": round(wall_seconds, 2),
        "events_per_second": round(sum(events_in.values()) / wall_seconds, 1) if wall_seconds else None,
        "ruleset_versions": sorted({a["ruleset_version"] for a in assessments}),
        "lifecycle": lifecycle_stats(assessments),
    }
    if ground_truth is not None:
        scenarios, rate, honest = scenario_results(assessments, ground_truth, alert_score)
        summary["scenarios"] = dict(sorted(scenarios.items()))
        caught = sum(r["caught"] for r in scenarios.values())
        summary["in_time_share"] = round(sum(r["in_time"] for r in scenarios.values()) / caught, 4) if caught else None
        summary["false_alert_rate"] = round(rate, 5)
        summary.update(honest)
    return summary


def risk_driven_alert(assessment: dict, alert_score: float) -> bool:
    """A high-risk outcome that would stand without the random draw (random adds no points)."""
    return assessment["alert"] and (not assessment["random_selection"] or assessment["score"] >= alert_score)


def format_table(summary: dict) -> str:
    lines = ["events in:"]
    for stream, n in summary["events_in"].items():
        lines.append(f"  {stream:<20} {n:>9}")
    lines.append(f"assessments: {summary['assessments']}  alerts: {summary['alerts']}  "
                 f"random selections: {summary['random_selections']}  dead letters: {summary['dead_letters']}")
    for outcome, n in summary["assessments_by_outcome"].items():
        lines.append(f"  {outcome:<26} {n:>7}")
    lines.append(f"events/s: {summary['events_per_second']}  wall: {summary['wall_seconds']} s")
    lc = summary.get("lifecycle") or {}
    if lc.get("per_declaration_mean") is not None:
        lines.append(f"assessments per declaration: mean {lc['per_declaration_mean']}, p99 {lc['per_declaration_p99']}, "
                     f"max {lc['per_declaration_max']}; by phase: "
                     + ", ".join(f"{k} {v}" for k, v in lc["by_phase"].items()))
    if "scenarios" in summary:
        lines.append(f"{'scenario':<24} {'planted':>7} {'caught':>7} {'recall':>7} {'in_time':>7}  by")
        for code, row in summary["scenarios"].items():
            lines.append(f"{code:<24} {row['planted']:>7} {row['caught']:>7} {row['recall']:>7.2f} "
                         f"{row['in_time']:>7}  {row.get('in_time_by') or ''}")
        if summary.get("in_time_share") is not None:
            lines.append(f"caught in time (before loading or arrival, as the scenario needs): "
                         f"{summary['in_time_share']:.2%}")
        lines.append(f"false-alert rate on honest declarations: {summary['false_alert_rate']:.4f} "
                     f"({summary['honest_alerted']} of {summary['honest_assessed']})")
    return "\n".join(lines)
