"""The views' data in the officers' terms: the scorecard in plain language, the model's top
features, a case's timeline. Pure functions of store and evidence records (tested in
tests/unit/test_workbench_views.py)."""
from __future__ import annotations

from datetime import datetime, timezone

KIND_LABELS = {"RULE": "Rule", "INDICATOR": "Risk indicator", "CROSS_CHECK": "Cross-check",
               "MODEL": "Model", "RANDOM": "Random selection"}
OUTCOME_LABELS = {
    "ASSESSMENT_COMPLETE": "Assessment complete: no action",
    "REQUEST_FOR_INFORMATION": "Request for information from the filer",
    "HIGH_RISK_SCREENING": "High-risk screening before loading",
    "DO_NOT_LOAD": "Do not load",
    "CONTROL_ON_ARRIVAL": "Control on arrival",
}
PHASE_LABELS = {"PRE_LOADING": "on filing (pre-loading)", "RE_ASSESSMENT": "re-assessed on new evidence",
                "PRE_ARRIVAL": "before arrival", "OTHER": "other", None: "(before the lifecycle)"}
_TOP = "; top features: "


def utc(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def model_top_features(scorecard: list[dict]) -> list[dict]:
    """The MODEL entry's top features ("name=value (+0.42)", transforms.scoring.explanation_text)."""
    for entry in scorecard:
        if entry["kind"] == "MODEL" and _TOP in entry["detail"]:
            out = []
            for item in entry["detail"].split(_TOP, 1)[1].split(", "):
                name, _, rest = item.partition("=")
                value, _, contrib = rest.partition(" (")
                out.append({"feature": name, "value": value, "log_odds": contrib.rstrip(")")})
            return out
    return []


def explain(assessment: dict) -> dict:
    """An assessment's scorecard as sentences an officer reads: what fired, its points, the
    evidence; and why the outcome is what it is."""
    lines = []
    for entry in assessment["scorecard"]:
        label = KIND_LABELS.get(entry["kind"], entry["kind"].title())
        detail = entry["detail"].split(_TOP, 1)[0] if entry["kind"] == "MODEL" else entry["detail"]
        lines.append({"kind": label, "code": entry["code"], "points": entry["contribution"], "evidence": detail,
                      "sentence": f"{label} {entry['code']} fired: {entry['contribution']:+.0f} points. {detail}"})
    total = sum(e["contribution"] for e in assessment["scorecard"])
    outcome = assessment["outcome"]
    summary = f"Score {assessment['score']:.0f} of 100"
    if total > 100:
        summary += f" (the points add up to {total:.0f}; the score is capped at 100)"
    summary += f": {OUTCOME_LABELS.get(outcome, outcome)}."
    if assessment.get("random_selection"):
        summary += " Also picked by random selection."
    if assessment.get("outcome_note"):
        summary += f" Note: {assessment['outcome_note']}."
    return {"lines": lines, "summary": summary, "top_features": model_top_features(assessment["scorecard"])}


def timeline(assessments: list[dict], evidence: dict, recorded: list[dict] = ()) -> list[dict]:
    """Everything that happened to a case, in event-time order: filings, manifest lines, container
    events, assessments, control results (from the topic and those recorded here)."""
    items = []
    for v in evidence["versions"]:
        items.append({"at_ms": v["filed_at_ms"], "what": f"{v['message_type'].title()} v{v['version']}",
                      "detail": f"{v['transport_mode']} {v['place_of_loading']} → {v['place_of_unloading']}",
                      "kind": "filing"})
    for line in evidence["manifest_lines"]:
        m = line["manifest"]
        items.append({"at_ms": m["filed_at_ms"], "what": f"Manifest {m['manifest_id']}",
                      "detail": f"{m['voyage']} {m['port_of_loading']} → {m['port_of_discharge']}, "
                                f"{line['packages']} packages, {line['gross_mass_kg']:.0f} kg"
                                + (f", container {line['container']}" if line.get("container") else ""),
                      "kind": "manifest"})
    for e in evidence["container_events"]:
        items.append({"at_ms": e["event_time_ms"], "what": f"{e['event_type_code']} {e['equipment_reference']}",
                      "detail": " ".join(x for x in (e.get("location"), e.get("event_classifier"),
                                                     "seals " + ", ".join(e["seals"]) if e.get("seals") else None) if x),
                      "kind": "container"})
    for a in assessments:
        items.append({"at_ms": a["event_time_ms"], "what": f"Assessment #{a.get('sequence') or '?'}: {a['outcome']}",
                      "detail": f"score {a['score']:.0f}, {PHASE_LABELS.get(a.get('phase'), a.get('phase'))}"
                                + (f", trigger {a['trigger']}" if a.get("trigger") else ""),
                      "kind": "assessment", "alert": a["alert"]})
    seen = set()
    for r in recorded:
        seen.add(_result_key(r["result"]))
        items.append({"at_ms": r["result"]["controlled_at_ms"], "what": f"Control result: {r['result']['finding']}",
                      "detail": f"{r['result']['control_type'].lower()} control, recorded by {r['user']}",
                      "kind": "control"})
    for r in evidence["control_results"]:
        if _result_key(r) not in seen:
            items.append({"at_ms": r["controlled_at_ms"], "what": f"Control result: {r['finding']}",
                          "detail": f"{r['control_type'].lower()} control", "kind": "control"})
    return sorted(items, key=lambda i: i["at_ms"])


def _result_key(r: dict) -> tuple:
    return (r["declaration_id"], r["controlled_at_ms"], r["finding"], r["control_type"])
