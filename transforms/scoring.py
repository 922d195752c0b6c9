"""From evidence to a score, an outcome and a scorecard; random selection; the model seam.

Scoring (rule set `outcomes`, documented in rulesets/default.yaml):
- every fired code contributes its points once: repeated evidence of one code (two containers,
  two manifest lines, two party roles) counts once, at its largest points;
- contributions add up, plus `model.weight x 100 x` the model's probability when a model is
  loaded (its scorecard entry names the model's top contributing features when it gives them,
  transforms.model); the score is capped at 100;
- score >= alert_score is an alert, >= rfi_score a REQUEST_FOR_INFORMATION, else
  ASSESSMENT_COMPLETE;
- which alert: DO_NOT_LOAD when a fired rule carries the DO_NOT_LOAD hint and the goods are not
  known to be loaded; CONTROL_ON_ARRIVAL when they are known to be loaded (the assessment comes
  after the consignment's expected loading, a fired code in `loaded_codes`, or no declaration at
  all: a manifest line means the goods are on board); else HIGH_RISK_SCREENING;
- a random pick adds a RANDOM entry and raises a non-alert outcome to CONTROL_ON_ARRIVAL or
  HIGH_RISK_SCREENING (same loaded rule); the assessment flags it random_selection.

Random selection is a deterministic hash of (rule-set version, declaration id), so a replay
picks the same declarations, and a new rule-set version draws a new sample.
"""
from __future__ import annotations

import hashlib
from typing import Protocol, runtime_checkable

from transforms.rules import (
    ALERT_OUTCOMES,
    ASSESSMENT_COMPLETE,
    CONTROL_ON_ARRIVAL,
    DO_NOT_LOAD,
    HIGH_RISK_SCREENING,
    MODEL,
    RANDOM_SELECTION,
    REQUEST_FOR_INFORMATION,
    RuleSet,
)

_TWO_64 = float(2**64)


def random_selected(declaration_id: str, ruleset: RuleSet) -> bool:
    """True when the random-selection share picks this declaration (deterministic)."""
    share = ruleset.random_selection_share
    if share <= 0:
        return False
    h = hashlib.blake2b(f"{ruleset.version}|{declaration_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / _TWO_64 < share


@runtime_checkable
class ModelScorer(Protocol):
    """A trained model: a calibrated probability (0..1) that a declaration is irregular."""

    version: str | None

    def score(self, decl: dict | None, evidence: list[dict]) -> float: ...


class _NoModel:
    """No model loaded: scores nothing, adds no scorecard entry."""

    version = None

    def score(self, decl, evidence) -> float:
        return 0.0

    def __repr__(self) -> str:
        return "NO_MODEL"

    def __reduce__(self):
        # Unpickle as the module's singleton: engines ship checks to workers by pickling, and
        # "is NO_MODEL" must still hold there.
        return "NO_MODEL"


NO_MODEL = _NoModel()


def _entry(kind: str, code: str, detail: str, contribution: float) -> dict:
    return {"kind": kind, "code": code, "detail": detail, "contribution": float(contribution)}


def explanation_text(top) -> str:
    """The model's top contributing features for the scorecard: (name, value, log-odds) triples."""
    if not top:
        return ""
    return "; top features: " + ", ".join(f"{name}={value:.3g} ({contrib:+.2f})" for name, value, contrib in top)


def is_loaded(decl: dict | None, codes, ruleset: RuleSet, past_loading: bool = False) -> bool:
    """Whether the goods are known to be loaded when the decision is made (outcome policy): past
    the consignment's expected loading (transforms.lifecycle), a code that only a loaded
    consignment shows, or no declaration at all (a manifest line: the goods are on board)."""
    if decl is None or past_loading:
        return True
    return not ruleset.loaded_codes.isdisjoint(codes)


def score_assessment(
    decl: dict | None,
    house_document: str,
    evidence_list: list[dict],
    ruleset: RuleSet,
    model=NO_MODEL,
    random_pick: bool = False,
    loaded: bool = False,
) -> tuple[float, str, list[dict]]:
    """(score 0..100, outcome, scorecard entries sorted by contribution, largest first).
    `loaded`: the assessment is made after the consignment's expected loading."""
    best: dict[str, dict] = {}
    default_points = ruleset.points
    hints = set()
    for ev in evidence_list:
        code = ev["code"]
        p = ev.get("points")
        if p is None:
            p = default_points.get(code, 0.0)
        if ev.get("hint"):
            hints.add(ev["hint"])
        cur = best.get(code)
        if cur is None or p > cur["contribution"]:
            best[code] = _entry(ev.get("kind") or "CROSS_CHECK", code, ev.get("detail") or code, p)
    scorecard = list(best.values())
    total = sum(e["contribution"] for e in scorecard)

    if model is not NO_MODEL and model is not None:
        p = float(model.score(decl, evidence_list))
        p = min(1.0, max(0.0, p))
        contribution = ruleset.model_weight * 100.0 * p
        note = "" if ruleset.model_weight > 0 else " (weight 0: shadow scoring)"
        why = explanation_text(getattr(model, "explanation", ()))
        scorecard.append(_entry(MODEL, MODEL, f"model {model.version} probability {p:.3f}{note}{why}", contribution))
        total += contribution

    score = float(min(100.0, max(0.0, total)))
    loaded = is_loaded(decl, best.keys(), ruleset, loaded)
    if score >= ruleset.alert_score:
        if DO_NOT_LOAD in hints and not loaded:
            outcome = DO_NOT_LOAD
        else:
            outcome = CONTROL_ON_ARRIVAL if loaded else HIGH_RISK_SCREENING
    elif score >= ruleset.rfi_score:
        outcome = REQUEST_FOR_INFORMATION
    else:
        outcome = ASSESSMENT_COMPLETE

    if random_pick:
        scorecard.append(_entry("RANDOM", RANDOM_SELECTION,
                                f"picked by random selection ({ruleset.random_selection_share:.2%} share, "
                                f"rule set {ruleset.version})", 0.0))
        if outcome not in ALERT_OUTCOMES:
            outcome = CONTROL_ON_ARRIVAL if loaded else HIGH_RISK_SCREENING

    scorecard.sort(key=lambda e: (-e["contribution"], e["code"]))
    return score, outcome, scorecard
