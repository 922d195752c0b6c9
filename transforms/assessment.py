"""AssessDeclaration: gather a declaration's evidence until its decision deadline, then decide.

`DeclarationAssessor` is the last keyed check of the flow (see transforms/topology.py). Keys:
- DECLARATION and EVIDENCE with a declaration_id: the declaration_id;
- EVIDENCE with declaration_id None (a manifest line nobody declared): "HOUSE:" + house document.

Per declaration key it keeps the latest version of the declaration and the evidence the checks
sent, and registers an event-time timer at the decision deadline: the first filing's filed_at_ms
+ decision_delay. On that timer it evaluates the declaration-level rules and indicators
(transforms.indicators) on the latest version, adds the evidence, the random pick and the model,
and emits exactly ONE RiskAssessment record (schemas/avro/risk_assessment.avsc).

Evidence produced from an older version of the declaration (its `declaration_version` is lower
than the assessed version) is ignored: the checks re-evaluate against the version they hold.

After the decision the key keeps a small tombstone until deadline + state_retention, then is
cleared; evidence or amendments reaching a tombstone do not change it (they are late: every check
delivers its evidence before the deadline by construction, so this only happens with data later
than the decision, and it must not create a second assessment); a late declaration version is
counted and returned in Step.late for the dead letters (kind LATE). An INVALIDATION emits nothing
and leaves a tombstone the same way. The assessor owns declarations in the ledger
(transforms.ledger): every version is pending until it is assessed or withdrawn. Evidence for a declaration
that never arrives is dropped when its cleanup timer fires.

A HOUSE: key is decided as soon as the watermark passes the evidence time (the checks send it at
the manifest line's deadline), then kept as a tombstone until + state_retention.
"""
from __future__ import annotations

from transforms import ledger
from transforms.indicators import declaration_indicators
from transforms.rules import ALERT_OUTCOMES
from transforms.scoring import NO_MODEL, random_selected, score_assessment
from transforms.state_machine import DECLARATION, EVIDENCE, Context, Step

HOUSE_PREFIX = "HOUSE:"
_HELD_ONE = {ledger.PENDING: 1}  # shared, never mutated
OPEN, DONE, INVALIDATED = "open", "done", "invalidated"
MAX_EVIDENCE = 64  # per key; deduplicated by (code, version) before this cap


class DeclarationAssessor:
    """AssessDeclaration: one risk assessment per declaration, at its decision deadline."""

    name = "AssessDeclaration"
    owns = DECLARATION  # accounts for every declaration message (transforms.ledger)

    @staticmethod
    def held_units(state) -> int:
        return state.get("held", 0) if state["status"] == OPEN else 0

    def __init__(self, model=NO_MODEL):
        self.model = model

    # -- routing ----------------------------------------------------------------------------------
    def key_of(self, kind: str, record: dict) -> list[str]:
        if kind == DECLARATION:
            return [record["declaration_id"]]
        if kind == EVIDENCE:
            did = record.get("declaration_id")
            return [did] if did is not None else [HOUSE_PREFIX + record["house_document"]]
        return []

    # -- events -----------------------------------------------------------------------------------
    def on_event(self, state, kind: str, record: dict, ctx: Context) -> Step:
        rs = ctx.ruleset
        if kind == DECLARATION:
            return self._on_declaration(state, record, rs)
        if kind == EVIDENCE:
            return self._on_evidence(state, record, rs)
        return Step(state)

    def _on_declaration(self, state, decl: dict, rs) -> Step:
        invalidation = decl.get("message_type") == "INVALIDATION"
        if state is not None and state["status"] != OPEN:
            # Decided or withdrawn: a later version changes nothing. Counted and routed, not dropped.
            if invalidation and state["status"] == INVALIDATED:
                return Step(state, ledger={ledger.DUPLICATE: 1})
            why = (f"declaration {decl['declaration_id']} v{decl.get('version')} ({decl.get('message_type')}) "
                   f"arrived after the declaration was {'decided' if state['status'] == DONE else 'withdrawn'}; "
                   "not assessed again")
            return Step(state, ledger={ledger.LATE: 1}, late=[(DECLARATION, decl, why)])
        filed = decl["filed_at_ms"]
        first = filed if state is None or state.get("first") is None else min(state["first"], filed)
        deadline = first + rs.decision_delay_ms
        if invalidation:
            expire = deadline + rs.state_retention_ms
            held = state.get("held", 0) if state is not None else 0
            entries = {ledger.INVALIDATION: 1}
            if held:
                entries.update({ledger.WITHDRAWN: held, ledger.PENDING: -held})
            return Step({"status": INVALIDATED, "expire": expire}, [], [expire], ledger=entries)
        if state is None:
            state = {"status": OPEN, "decl": None, "first": None, "evidence": [], "expire": None}
        cur = state["decl"]
        if cur is None or decl["version"] >= cur["version"]:
            state["decl"] = decl
        state["first"] = first
        state["deadline"] = deadline
        state["held"] = state.get("held", 0) + 1  # versions folded into this declaration's assessment
        return Step(state, [], [deadline], ledger=_HELD_ONE)

    def _on_evidence(self, state, ev: dict, rs) -> Step:
        if state is not None and state["status"] != OPEN:
            return Step(state)  # late evidence: dropped (see module docstring)
        timers = []
        if state is None:
            if ev.get("declaration_id") is None:
                due = ev["event_time_ms"]
                state = {"status": OPEN, "house": ev["house_document"], "evidence": [], "due": due}
                timers.append(due)
            else:
                state = {"status": OPEN, "decl": None, "first": None, "evidence": [], "expire": None}
        if "house" not in state and state["decl"] is None:
            # Evidence ahead of its declaration: wait for it, but not forever.
            expire = ev["event_time_ms"] + rs.decision_delay_ms + rs.state_retention_ms
            if state["expire"] is None or expire > state["expire"]:
                state["expire"] = expire
                timers.append(expire)
        _add_evidence(state["evidence"], ev)
        return Step(state, [], timers)

    # -- timers -----------------------------------------------------------------------------------
    def on_timer(self, state, timestamp_ms: int, ctx: Context) -> Step:
        if state is None:
            return Step(None)
        rs = ctx.ruleset
        if state["status"] != OPEN:
            return Step(None) if timestamp_ms >= state["expire"] else Step(state)
        if "house" in state:
            if timestamp_ms < state["due"]:
                return Step(state)
            out = self._assess_house(state, timestamp_ms, ctx)
            expire = timestamp_ms + rs.state_retention_ms
            return Step({"status": DONE, "expire": expire}, [out], [expire])
        if state["decl"] is None:
            if state["expire"] is not None and timestamp_ms >= state["expire"]:
                return Step(None)  # evidence whose declaration never came
            return Step(state)
        if timestamp_ms < state["deadline"]:
            return Step(state)
        out = self._assess(state, timestamp_ms, ctx)
        expire = state["deadline"] + rs.state_retention_ms
        held = state.get("held", 1)
        return Step({"status": DONE, "expire": expire}, [out], [expire],
                    ledger={ledger.ASSESSED: held, ledger.PENDING: -held})

    # -- deciding ---------------------------------------------------------------------------------
    def _model(self, ctx):
        return getattr(ctx, "model", None) or self.model

    def _assess(self, state: dict, timestamp_ms: int, ctx: Context) -> dict:
        rs, decl = ctx.ruleset, state["decl"]
        version = decl["version"]
        evidence = [e for e in state["evidence"] if (e.get("declaration_version") or version) >= version]
        evidence = declaration_indicators(decl, rs, ctx.reference) + evidence
        pick = random_selected(decl["declaration_id"], rs)
        model = self._model(ctx)
        model_score = None
        if model is not NO_MODEL:
            # Score once; a weight of 0 still records the score (shadow mode). A model that can
            # explain itself (transforms.model.TrainedModel) names its top features on the scorecard.
            explained = getattr(model, "score_explained", None)
            if explained is not None:
                p, top = explained(decl, evidence)
            else:
                p, top = model.score(decl, evidence), ()
            model_score = min(1.0, max(0.0, float(p)))
            model = _Scored(model.version, model_score, top)
        score, outcome, card = score_assessment(decl, decl["house_document"], evidence, rs, model, pick)
        return _record(f"{decl['declaration_id']}:v{version}", decl["declaration_id"], version,
                       decl["house_document"], score, outcome, card,
                       model_score, model.version if model_score is not None else None,
                       rs.version, pick, timestamp_ms, ctx.now_ms())

    def _assess_house(self, state: dict, timestamp_ms: int, ctx: Context) -> dict:
        rs = ctx.ruleset
        score, outcome, card = score_assessment(None, state["house"], state["evidence"], rs, NO_MODEL, False)
        return _record(f"{HOUSE_PREFIX}{state['house']}", None, None, state["house"], score, outcome, card,
                       None, None, rs.version, False, timestamp_ms, ctx.now_ms())


class _Scored:
    """A model score already computed (with its top features, if any), passed on to score_assessment."""

    def __init__(self, version, p, explanation=()):
        self.version, self.p, self.explanation = version, p, explanation

    def score(self, decl, evidence) -> float:
        return self.p


def _add_evidence(lst: list, ev: dict) -> None:
    """Append, keeping one evidence per (code, version): the one with the most points."""
    key = (ev["code"], ev.get("declaration_version"))
    for i, e in enumerate(lst):
        if (e["code"], e.get("declaration_version")) == key:
            if (ev.get("points") or 0) > (e.get("points") or 0):
                lst[i] = ev
            return
    if len(lst) < MAX_EVIDENCE:
        lst.append(ev)


def _record(assessment_id, declaration_id, version, house, score, outcome, card, model_score, model_version,
            ruleset_version, pick, event_time_ms, processing_time_ms) -> dict:
    return {
        "assessment_id": assessment_id,
        "declaration_id": declaration_id,
        "declaration_version": version,
        "house_document": house,
        "score": float(score),
        "outcome": outcome,
        "alert": outcome in ALERT_OUTCOMES,
        "scorecard": card,
        "model_score": model_score,
        "model_version": model_version,
        "ruleset_version": ruleset_version,
        "random_selection": bool(pick),
        "event_time_ms": int(event_time_ms),
        "processing_time_ms": int(processing_time_ms),
    }
