"""The run summary: what went in, what came out, and how the planted scenarios fared.

`scenarios[code]` counts instances planted and caught; an instance is caught when one of its
targets got a high-risk outcome for a reason other than random selection (docs/scenarios.md).
`false_alert_rate` is the share of honest declarations (in no instance) given a high-risk
outcome, random selection aside.
"""
from __future__ import annotations

from collections import Counter


def scenario_results(assessments: list[dict], ground_truth: dict, alert_score: float) -> tuple[dict, float, dict]:
    risk_alerts = [a for a in assessments if risk_driven_alert(a, alert_score)]
    alerted_decls = {a["declaration_id"] for a in risk_alerts if a["declaration_id"]}
    alerted_houses = {a["house_document"] for a in risk_alerts if a["declaration_id"] is None}
    scenarios: dict[str, dict] = {}
    touched: set[str] = set()
    for inst in ground_truth["instances"]:
        row = scenarios.setdefault(inst["scenario"], {"planted": 0, "caught": 0})
        row["planted"] += 1
        touched.update(inst["declaration_ids"])
        if inst["scenario"] == "UNDECLARED_CONSIGNMENT":
            caught = any(h in alerted_houses for h in inst["house_documents"])
        else:
            caught = any(t in alerted_decls for t in inst["targets"])
        row["caught"] += int(caught)
    for row in scenarios.values():
        row["recall"] = round(row["caught"] / row["planted"], 4) if row["planted"] else None
    honest = [a for a in assessments if a["declaration_id"] and a["declaration_id"] not in touched]
    false_alerts = sum(1 for a in honest if a["declaration_id"] in alerted_decls)
    rate = false_alerts / len(honest) if honest else 0.0
    return scenarios, rate, {"honest_assessed": len(honest), "honest_alerted": false_alerts}


def summarise(events_in: Counter, assessments: list[dict], dead_letters: list[dict], wall_seconds: float,
              ground_truth: dict | None, alert_score: float) -> dict:
    summary = {
        "events_in": dict(sorted(events_in.items())),
        "events_in_total": sum(events_in.values()),
        "assessments": len(assessments),
        "assessments_by_outcome": dict(sorted(Counter(a["outcome"] for a in assessments).items())),
        "alerts": sum(1 for a in assessments if a["alert"]),
        "random_selections": sum(1 for a in assessments if a["random_selection"]),
        "dead_letters": len(dead_letters),
        "dead_letters_by_reason": dict(sorted(Counter(d["error_kind"] for d in dead_letters).items())),
        "wall_seconds": round(wall_seconds, 2),
        "events_per_second": round(sum(events_in.values()) / wall_seconds, 1) if wall_seconds else None,
        "ruleset_versions": sorted({a["ruleset_version"] for a in assessments}),
    }
    if ground_truth is not None:
        scenarios, rate, honest = scenario_results(assessments, ground_truth, alert_score)
        summary["scenarios"] = dict(sorted(scenarios.items()))
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
    if "scenarios" in summary:
        lines.append(f"{'scenario':<24} {'planted':>7} {'caught':>7} {'recall':>7}")
        for code, row in summary["scenarios"].items():
            lines.append(f"{code:<24} {row['planted']:>7} {row['caught']:>7} {row['recall']:>7.2f}")
        lines.append(f"false-alert rate on honest declarations: {summary['false_alert_rate']:.4f} "
                     f"({summary['honest_alerted']} of {summary['honest_assessed']})")
    return "\n".join(lines)
