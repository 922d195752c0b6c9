"""AssessDeclaration: the assessment lifecycle of each declaration (transforms.lifecycle).

`DeclarationAssessor` is the last keyed check of the flow (see transforms/topology.py). Keys:
- DECLARATION and EVIDENCE with a declaration_id: the declaration_id;
- EVIDENCE with declaration_id None (a manifest line nobody declared): "HOUSE:" + house document.

Per declaration key:
- **On receipt of the first filing** (any version), at once: the PRE_LOADING assessment, from the
  filing alone (declaration-level rules and indicators, watch list, model, random selection).
  It depends on that record only: the first version of the declaration to arrive. The versions
  of a declaration travel in one partition in order (keyed by declaration id), so every engine
  sees the same first one however the streams interleave.
- Every input is then applied in event-time order at timers (`checks._common.buffer_input`):
  versions (an AMENDMENT re-assesses) and the checks' evidence (new findings and retractions,
  `checks._common.report`). After applying, the declaration is scored again; when the score or
  the outcome changed, a RE_ASSESSMENT is emitted, naming what triggered it.
- At the final milestone (expected arrival - final_before_arrival) the PRE_ARRIVAL assessment
  states the control recommendation at the first point of entry: a screening or do-not-load
  outcome becomes CONTROL_ON_ARRIVAL there (the goods are on their way).
- Evidence of a delayed voyage still re-assesses until the lifecycle closes (arrival +
  state_retention); then the key is a tombstone for another state_retention: later versions are
  LATE (counted, dead-lettered), later evidence is dropped.

Outcomes never silently de-escalate: evidence can raise an outcome, never lower it; a new version
of the filing (an amendment) or a retraction (a carrier's amendment removed the finding) can, and
the record says so in `outcome_note`. `escalated` marks an assessment whose outcome is above every
earlier one: the alerts stream carries an alert only then (`raises_alert`).

Evidence about an older version of the declaration (its `declaration_version` is lower than the
assessed version) is ignored: the checks re-evaluate against the version they hold. An
INVALIDATION emits nothing and leaves a tombstone. The assessor owns declarations in the ledger
(transforms.ledger): every version is pending until its lifecycle closes or it is withdrawn.
Evidence for a declaration that never arrives is dropped when its cleanup timer fires.

A HOUSE: key is decided once, as soon as the watermark passes the evidence time (the consignment
check sends it at the manifest line's absence deadline), then kept as a tombstone until + state_retention.
"""
from __future__ import annotations

from transforms import ledger, lifecycle
from transforms.checks._common import buffer_input, take_due
from transforms.indicators import declaration_indicators
from transforms.rules import ALERT_OUTCOMES, CONTROL_ON_ARRIVAL, DO_NOT_LOAD, HIGH_RISK_SCREENING
from transforms.scoring import NO_MODEL, random_selected, score_assessment
from transforms.state_machine import DECLARATION, EVIDENCE, Context, Step

HOUSE_PREFIX = "HOUSE:"
_HELD_ONE = {ledger.PENDING: 1}  # shared, never mutated
OPEN, DONE, INVALIDATED = "open", "done", "invalidated"
MAX_EVIDENCE = 64  # per key; one per (code, version, origin)


def raises_alert(assessment: dict) -> bool:
    """Whether an assessment goes to the alerts stream: a high-risk outcome above every earlier
    one of its lifecycle (assessments written before the lifecycle have escalated None)."""
    return assessment["alert"] and assessment.get("escalated") is not False


def final_assessments(assessments) -> list[dict]:
    """The last assessment of each lifecycle (by sequence), in the order of the input: what an
    analyst compares across rule sets, one row per declaration or undeclared house document."""
    last: dict = {}
    for a in assessments:
        key = a["declaration_id"] or "HOUSE:" + a["house_document"]
        if key not in last or (a.get("sequence") or 0) >= (last[key].get("sequence") or 0):
            last[key] = a
    keep = {id(a) for a in last.values()}
    return [a for a in assessments if id(a) in keep]


def _evidence_key(ev: dict) -> str:
    return f"{ev['code']}|{ev.get('declaration_version')}|{ev.get('origin') or ''}"


class DeclarationAssessor:
    """AssessDeclaration: the lifecycle of assessments of each declaration."""

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
        if kind == DECLARATION:
            return self._on_declaration(state, record, ctx)
        if kind == EVIDENCE:
            return self._on_evidence(state, record, ctx.ruleset)
        return Step(state)

    @staticmethod
    def _new_state() -> dict:
        return {"status": OPEN, "decl": None, "first": None, "evidence": {}, "inbox": [], "held": 0,
                "seq": 0, "last": None, "peak": -1, "final_done": False, "expire": None, "ms": None,
                "first_seen": None}

    def _on_declaration(self, state, decl: dict, ctx: Context) -> Step:
        rs = ctx.ruleset
        if state is not None and state["status"] != OPEN:
            # Closed or withdrawn: a later version changes nothing. Counted and routed, not dropped.
            if decl.get("message_type") == "INVALIDATION" and state["status"] == INVALIDATED:
                return Step(state, ledger={ledger.DUPLICATE: 1})
            why = (f"declaration {decl['declaration_id']} v{decl.get('version')} ({decl.get('message_type')}) "
                   f"arrived after the declaration was {'closed' if state['status'] == DONE else 'withdrawn'}; "
                   "not assessed again")
            return Step(state, ledger={ledger.LATE: 1}, late=[(DECLARATION, decl, why)])
        if decl.get("message_type") == "INVALIDATION":
            first = decl["filed_at_ms"] if state is None or state.get("first") is None else state["first"]
            expire = lifecycle.milestones(first, decl, rs).close + rs.state_retention_ms
            held = state.get("held", 0) if state is not None else 0
            entries = {ledger.INVALIDATION: 1}
            if held:
                entries.update({ledger.WITHDRAWN: held, ledger.PENDING: -held})
            return Step({"status": INVALIDATED, "expire": expire}, [], [expire], ledger=entries)
        if state is None:
            state = self._new_state()
        state["held"] += 1  # versions folded into this declaration's lifecycle
        timers = [buffer_input(state, DECLARATION, decl)]
        # The milestones this version implies, registered now: a timer registered while timers
        # fire at the end of a bounded input (the watermark at +inf) may not fire in PyFlink.
        seen = decl["filed_at_ms"] if state.get("first_seen") is None else min(state["first_seen"], decl["filed_at_ms"])
        state["first_seen"] = seen
        m = lifecycle.milestones(seen, decl, rs)
        timers += [m.final, m.close]
        outputs = []
        if state["seq"] == 0:
            # The pre-loading answer, at once: from this filing alone.
            outputs.append(self._emit(state, decl, {}, decl["filed_at_ms"], ctx, lifecycle.PRE_LOADING, "FILING", m))
        return Step(state, outputs, timers, ledger=_HELD_ONE)

    def _on_evidence(self, state, ev: dict, rs) -> Step:
        if state is not None and state["status"] != OPEN:
            return Step(state)  # late evidence: dropped (see module docstring)
        timers = [ev["event_time_ms"]]
        held = state is not None
        if state is None:
            if ev.get("declaration_id") is None:
                state = {"status": OPEN, "house": ev["house_document"], "evidence": {}, "due": ev["event_time_ms"]}
            else:
                state = self._new_state()
        if "house" in state:
            state["evidence"][_evidence_key(ev)] = ev
            return Step(state, [], timers)
        state["inbox"].append([ev["event_time_ms"], EVIDENCE, ev])
        if state["decl"] is None and state["first"] is None:
            # Evidence ahead of its declaration: wait for it, but not forever.
            expire = ev["event_time_ms"] + lifecycle.horizon_ms(rs)
            if state["expire"] is None or expire > state["expire"]:
                state["expire"] = expire
                timers.append(expire)
                held = False
        return Step(state, [], timers, held=held)

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
        before = state["ms"]
        triggers, lifted = self._apply_due(state, timestamp_ms, rs)
        timers: list = []
        if state["decl"] is None:
            if state["expire"] is not None and timestamp_ms >= state["expire"]:
                return Step(None)  # evidence whose declaration never came
            return Step(state)
        ms = lifecycle.Milestones(*state["ms"])
        if state["ms"] != before:  # a first or new version: its milestones
            if not state["final_done"]:
                timers.append(ms.final)
            timers.append(ms.close)
            state["expire"] = ms.close
        outputs = []
        if not state["final_done"] and timestamp_ms >= ms.final:
            state["final_done"] = True
            outputs.append(self._emit(state, state["decl"], state["evidence"], timestamp_ms, ctx,
                                      lifecycle.PRE_ARRIVAL, ", ".join(triggers) or "DEADLINE", ms, lifted=lifted))
        elif triggers:
            out = self._emit(state, state["decl"], state["evidence"], timestamp_ms, ctx, lifecycle.RE_ASSESSMENT,
                             ", ".join(triggers), ms, lifted=lifted, only_if_changed=True)
            if out is not None:
                outputs.append(out)
        if timestamp_ms >= ms.close and not state["inbox"]:
            expire = ms.close + rs.state_retention_ms
            held = state["held"]
            return Step({"status": DONE, "expire": expire}, outputs, [expire],
                        ledger={ledger.ASSESSED: held, ledger.PENDING: -held})
        return Step(state, outputs, timers)

    def _apply_due(self, state: dict, timestamp_ms: int, rs) -> tuple[list, str | None]:
        """Apply the held versions and evidence whose time has come, in event-time order; returns
        what changed, for the record's trigger, and why a lower outcome may stand (or None)."""
        triggers: list[str] = []
        retracted: list[str] = []
        lifted = None
        for t, kind, record in take_due(state, timestamp_ms):
            if kind == DECLARATION:
                cur = state["decl"]
                first = record["filed_at_ms"] if state["first"] is None else min(state["first"], record["filed_at_ms"])
                if cur is None or record["version"] >= cur["version"]:
                    if cur is not None and record["version"] > cur["version"]:
                        triggers.append(f"AMENDMENT v{record['version']}")
                        lifted = f"version {record['version']} of the filing"
                    state["decl"] = record
                state["first"] = first
                state["ms"] = list(lifecycle.milestones(first, state["decl"], rs))
                continue
            key = _evidence_key(record)
            evidence = state["evidence"]
            if record.get("retracted"):
                if evidence.pop(key, None) is not None:
                    triggers.append(f"{record['code']} retracted")
                    retracted.append(record["code"])
            elif key in evidence or len(evidence) < MAX_EVIDENCE:
                if key not in evidence or evidence[key].get("points") != record.get("points"):
                    triggers.append(record["code"])
                evidence[key] = record
        if lifted is None and retracted:
            lifted = f"{', '.join(sorted(set(retracted)))} retracted (the evidence no longer holds)"
        # A canonical order: what arrived together at one instant reads the same on every engine.
        return sorted(set(triggers), key=lambda s: (not s.startswith("AMENDMENT"), s)), lifted

    # -- deciding ---------------------------------------------------------------------------------
    def _model(self, ctx):
        return getattr(ctx, "model", None) or self.model

    def _emit(self, state: dict, decl: dict, evidence: dict, timestamp_ms: int, ctx: Context, phase: str,
              trigger: str, ms: lifecycle.Milestones, lifted: str | None = None,
              only_if_changed: bool = False) -> dict | None:
        """Score the declaration and make the next assessment of its lifecycle (None when
        `only_if_changed` and neither score nor outcome moved); `ms`: its milestones."""
        rs = ctx.ruleset
        version = decl["version"]
        found = [e for e in evidence.values() if (e.get("declaration_version") or version) >= version]
        found = declaration_indicators(decl, rs, ctx.reference) + found
        pick = random_selected(decl["declaration_id"], rs)
        model = self._model(ctx)
        model_score = None
        if model is not NO_MODEL:
            # Score once; a weight of 0 still records the score (shadow mode). A model that can
            # explain itself (transforms.model.TrainedModel) names its top features on the scorecard.
            explained = getattr(model, "score_explained", None)
            if explained is not None:
                p, top = explained(decl, found)
            else:
                p, top = model.score(decl, found), ()
            model_score = min(1.0, max(0.0, float(p)))
            model = _Scored(model.version, model_score, top)
        loaded = timestamp_ms >= ms.loading
        score, outcome, card = score_assessment(decl, decl["house_document"], found, rs, model, pick, loaded=loaded)
        note = None
        last = state["last"]
        if phase == lifecycle.PRE_ARRIVAL and outcome in (HIGH_RISK_SCREENING, DO_NOT_LOAD):
            outcome = CONTROL_ON_ARRIVAL  # at the point of entry, screening means a control there
        if last is not None:
            held = last["outcome"]
            if phase == lifecycle.PRE_ARRIVAL and held in (HIGH_RISK_SCREENING, DO_NOT_LOAD):
                held = CONTROL_ON_ARRIVAL
            if lifecycle.SEVERITY[outcome] < lifecycle.SEVERITY[held]:
                if lifted:
                    note = f"lowered from {last['outcome']} by {lifted}"
                else:
                    note = f"held at {held} (assessment {last['id']}): evidence alone never lowers an outcome"
                    outcome = held
            if only_if_changed and abs(score - last["score"]) < 1e-9 and outcome == last["outcome"]:
                return None
        severity = lifecycle.SEVERITY[outcome]
        escalated = severity > state["peak"]
        state["peak"] = severity if (escalated or note and note.startswith("lowered")) else state["peak"]
        state["seq"] += 1
        aid = f"{decl['declaration_id']}#{state['seq']}"
        rec = _record(aid, decl["declaration_id"], version, decl["house_document"], score, outcome, card,
                      model_score, model.version if model_score is not None else None,
                      rs.version, pick, timestamp_ms, ctx.now_ms())
        rec.update(phase=phase, sequence=state["seq"], supersedes=last["id"] if last else None, trigger=trigger,
                   outcome_note=note, expected_loading_ms=ms.loading, expected_arrival_ms=ms.arrival,
                   escalated=escalated)
        state["last"] = {"id": aid, "score": score, "outcome": outcome}
        return rec

    def _assess_house(self, state: dict, timestamp_ms: int, ctx: Context) -> dict:
        rs = ctx.ruleset
        score, outcome, card = score_assessment(None, state["house"], list(state["evidence"].values()), rs,
                                                NO_MODEL, False)
        rec = _record(f"{HOUSE_PREFIX}{state['house']}#1", None, None, state["house"], score, outcome, card,
                      None, None, rs.version, False, timestamp_ms, ctx.now_ms())
        rec.update(phase=lifecycle.PRE_ARRIVAL, sequence=1, supersedes=None, trigger="UNDECLARED_CONSIGNMENT",
                   outcome_note=None, expected_loading_ms=None, expected_arrival_ms=None,
                   escalated=True)
        return rec


class _Scored:
    """A model score already computed (with its top features, if any), passed on to score_assessment."""

    def __init__(self, version, p, explanation=()):
        self.version, self.p, self.explanation = version, p, explanation

    def score(self, decl, evidence) -> float:
        return self.p


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
