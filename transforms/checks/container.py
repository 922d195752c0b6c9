"""CrossCheckContainer: declarations against what physically happened to their containers.

Key: container number. Inputs: DECLARATION (under each of its containers) and CONTAINER_EVENT
(under its equipment_reference; only ACTual events are facts, planned and estimated ones are
ignored).

An event belongs to the declaration that (1) the carrier linked it to (document_references holds
the house or master document), else (2) whose seals it carries, else (3) by time: the latest
declaration filed at or before the event, or the earliest one filed within `lookback` after it.
Only events inside a declaration's window [first filed_at - lookback, close of its lifecycle]
count for it.

Inputs are applied in event-time order at timers (`_common.buffer_input`); after each, every open
declaration of the container is evaluated against the events so far, and the assessor hears what
changed (new findings, retractions: `_common.report`). A voyage's route deviation or seal change
weeks after the filing re-assesses the declaration when its event arrives:

| code | fires when |
| --- | --- |
| LATE_FILING | its container was LOADed at the place of loading (or in that country) before the declaration was first filed (- grace) |
| ROUTE_DEVIATION | a laden LOAD or DISC in a country that is neither on the itinerary nor that of the place of loading or unloading |
| SEAL_TAMPERING | the seal set changes or disappears between consecutive laden events with no INSP/RSEA between (until STRP) |
| CONTAINER_REUSE | another declaration within window_days on this container has an unrelated consignee (other entity, name similarity below related_similarity) |
| CONTAINER_NOT_SEEN | (modes in `modes`) at the declaration's absence deadline (expected loading + absence_after_loading, transforms.lifecycle): no actual event at all for the container since filed_at - window_before |

State keeps declarations until the close of their lifecycle (at least first filed + reuse
window) + retention, and events while an open declaration may own them (and for the lookback),
then the key is cleared.
"""
from __future__ import annotations

from transforms import ledger
from transforms.checks._common import (
    apply_due,
    release,
    arrival_milestones,
    buffer_input,
    clean_entries as _clean,
    extend_expiry,
    rearm_cleanup,
    fmt_time,
    held_in_inbox,
    is_open,
    make_evidence,
    report,
    upsert_declaration,
    withdraw_declaration,
)
from transforms.parties import entity_key, name_similarity
from transforms.state_machine import CONTAINER_EVENT, DECLARATION, Context, Step

HOUR_MS = 3_600_000
MAX_EVENTS = 256  # per container, within the retention horizon
LADEN_MOVES = frozenset({"LOAD", "DISC"})
# event tuple fields
T, CODE, LOC, SEALS, EMPTY, DOCS = range(6)
_HELD_ONE = {ledger.PENDING: 1}  # shared, never mutated


def _compact_declaration(r: dict) -> dict:
    consignee = r.get("consignee") or {}
    return {
        "pol": r.get("place_of_loading") or "",
        "pou": r.get("place_of_unloading") or "",
        "itinerary": list(r.get("itinerary") or ()),
        "consignee": consignee.get("name") or "",
        "consignee_country": consignee.get("country") or "",
        "ckey": entity_key(consignee),
        "seals": list(r.get("seals") or ()),
        "docs": [x for x in (r.get("house_document"), r.get("master_document")) if x],
        "mode": r.get("transport_mode") or "",
        "containers": list(r.get("containers") or ()),
    }


def _lookback(rs) -> int:
    """How long before its filing an event may belong to a declaration."""
    return max(rs.param("LATE_FILING", "lookback_ms"), rs.param("CONTAINER_NOT_SEEN", "window_before_ms"))


class ContainerCheck:
    """CrossCheckContainer: route, seals, late filing, reuse and silence, keyed by container."""

    name = "CrossCheckContainer"
    owns = CONTAINER_EVENT  # accounts for every container event (transforms.ledger)

    @staticmethod
    def held_units(state) -> int:
        return len(state["events"]) + held_in_inbox(state, CONTAINER_EVENT)

    def key_of(self, kind: str, record: dict) -> list[str]:
        if kind == DECLARATION:
            return list(dict.fromkeys(record.get("containers") or ()))
        if kind == CONTAINER_EVENT:
            ref = record.get("equipment_reference")
            return [ref] if ref else []
        return []

    # -- events -----------------------------------------------------------------------------------
    def on_event(self, state, kind: str, record: dict, ctx: Context) -> Step:
        if kind != DECLARATION and kind != CONTAINER_EVENT:
            return Step(state)
        if kind == CONTAINER_EVENT and (record.get("event_classifier") or "ACT") != "ACT":
            return Step(state, ledger={ledger.NOT_ACTUAL: 1}, unchanged=True)
        held = state is not None
        if state is None:
            state = {"decls": {}, "inv": [], "events": [], "expire": 0, "inbox": []}
        timers = [buffer_input(state, kind, record)]
        if kind == DECLARATION and record.get("message_type") != "INVALIDATION" \
                and record.get("transport_mode") in ctx.ruleset.param("CONTAINER_NOT_SEEN", "modes"):
            # The absence deadline this version implies, registered now (as the assessor does its
            # milestones: a timer registered from a timer at the end of a bounded input may not fire).
            timers.append(arrival_milestones(state, record, ctx.ruleset).absence)
        return Step(state, [], timers, ledger=_HELD_ONE if kind == CONTAINER_EVENT else None, held=held)

    def _apply(self, state, kind: str, record: dict, rs, timers: list) -> dict | None:
        """Apply one input in event-time order; returns its ledger entries (an event was counted
        pending when it was buffered)."""
        if kind == DECLARATION:
            did = record["declaration_id"]
            if record.get("message_type") == "INVALIDATION":
                extend_expiry(state, withdraw_declaration(state, record, rs), timers)
            elif did not in state["inv"]:
                d = upsert_declaration(state, record, _compact_declaration, rs)
                if d is not None:
                    if d["mode"] in rs.param("CONTAINER_NOT_SEEN", "modes"):
                        timers.append(d["absence"])
                    keep = max(d["close"], d["first"] + rs.param("CONTAINER_REUSE", "window_ms"))
                    extend_expiry(state, keep + rs.state_retention_ms, timers)
            return None
        t = record["event_time_ms"]
        state["container"] = record.get("equipment_reference")
        ev = [t, record.get("event_type_code") or "", record.get("location") or "",
              sorted(record.get("seals") or ()), record.get("empty_indicator") == "EMPTY",
              list(record.get("document_references") or ())]
        events = state["events"]
        if ev in events:
            return {ledger.DUPLICATE: 1, ledger.PENDING: -1}  # the same event re-sent
        events.append(ev)
        if len(events) > 1 and events[-2][T] > t:
            events.sort(key=lambda e: e[T])
        entries = None
        if len(events) > MAX_EVENTS:
            del events[0]
            entries = {ledger.OVER_CAPACITY: 1, ledger.PENDING: -1}
        expire = t + _lookback(rs) + rs.state_retention_ms
        expire -= expire % HOUR_MS  # one cleanup timer per hour, not per event
        extend_expiry(state, expire + HOUR_MS, timers)
        return entries

    # -- timers -----------------------------------------------------------------------------------
    def on_timer(self, state, timestamp_ms: int, ctx: Context) -> Step:
        if state is None:
            return Step(None)
        rs = ctx.ruleset
        timers: list = []
        due, entries = apply_due(state, timestamp_ms, lambda s, k, r, tm: self._apply(s, k, r, rs, tm), timers)
        out: list[dict] = []
        # Evaluate after new inputs, and at a declaration's absence deadline (CONTAINER_NOT_SEEN).
        todo = [d for d in state["decls"].values() if is_open(d, timestamp_ms)
                and (due or d["absence"] == timestamp_ms)]
        if todo:  # associating events with declarations costs a pass: only when something is to evaluate
            owner = self._associate(state, _lookback(rs))
            origin = f"{self.name}:{self._container_of(state)}"
            for d in todo:
                out.extend(report(d, self._evaluate(d, state, owner, timestamp_ms, ctx), timestamp_ms, rs, origin))
        if timestamp_ms >= state["expire"] and not state["inbox"]:
            release(entries, len(state["events"]))
            return Step(None, out, ledger=_clean(entries))
        release(entries, self._prune(state, timestamp_ms, rs))
        rearm_cleanup(state, timestamp_ms, timers)
        return Step(state, out, timers, ledger=_clean(entries))

    def _prune(self, state: dict, now: int, rs) -> int:
        """Forget what can no longer matter; returns the number of events released. An event is
        kept while an open declaration may own it, or a declaration filed later may (lookback)."""
        lookback = _lookback(rs)
        decls = state["decls"]
        keep_from = now - lookback - rs.state_retention_ms
        open_firsts = [d["first"] for d in decls.values() if d["close"] + rs.state_retention_ms > now]
        if open_firsts:
            keep_from = min(keep_from, min(open_firsts) - lookback)
        ev = state["events"]
        released = 0
        if ev and ev[0][T] < keep_from:
            state["events"] = [e for e in ev if e[T] >= keep_from]
            released = len(ev) - len(state["events"])
        window = rs.param("CONTAINER_REUSE", "window_ms")
        old = [k for k, d in decls.items()
               if max(d["close"], d["first"] + window) + rs.state_retention_ms <= now]
        for k in old:
            del decls[k]
        return released

    # -- association of events to declarations ----------------------------------------------------
    @staticmethod
    def _associate(state: dict, lookback: int) -> list:
        """Owner declaration id of each event (None when no declaration's window covers it)."""
        decls = list(state["decls"].values())
        if not decls:
            return [None] * len(state["events"])
        by_doc = {}
        by_seal = {}
        for d in decls:
            for doc in d["docs"]:
                by_doc.setdefault(doc, d)
            for s in d["seals"]:
                by_seal.setdefault(s, d)
        by_first = sorted(decls, key=lambda d: d["first"])
        owners = []
        for e in state["events"]:
            t = e[T]
            owner = None
            for doc in e[DOCS]:
                owner = by_doc.get(doc)
                if owner is not None:
                    break
            if owner is None and not e[EMPTY]:
                for s in e[SEALS]:
                    owner = by_seal.get(s)
                    if owner is not None:
                        break
            if owner is None:
                before = [d for d in by_first if d["first"] <= t]
                if before:
                    owner = before[-1]
                else:
                    after = [d for d in by_first if d["first"] - lookback <= t]
                    owner = after[0] if after else None
            if owner is not None and not (owner["first"] - lookback <= t <= owner["close"]):
                owner = None
            owners.append(owner["id"] if owner is not None else None)
        return owners

    # -- the checks -------------------------------------------------------------------------------
    def _evaluate(self, d: dict, state: dict, owners: list, t: int, ctx: Context) -> list[dict]:
        rs, ref = ctx.ruleset, ctx.reference
        container = self._container_of(state)
        mine = [e for e, o in zip(state["events"], owners) if o == d["id"]]
        out = []
        pol_country = ref.country_of(d["pol"])
        pou_country = ref.country_of(d["pou"])

        # LATE_FILING
        grace = rs.param("LATE_FILING", "grace_ms")
        for e in mine:
            if e[CODE] == "LOAD" and not e[EMPTY] and e[T] < d["first"] - grace and (
                    e[LOC] == d["pol"] or (pol_country and ref.country_of(e[LOC]) == pol_country)):
                hours = (d["first"] - e[T]) / HOUR_MS
                out.append(make_evidence(d, "LATE_FILING",
                                         f"container {container} was loaded at {e[LOC]} on {fmt_time(e[T])}, "
                                         f"{hours:.1f} h before the declaration was filed ({fmt_time(d['first'])})",
                                         t, rs))
                break

        # ROUTE_DEVIATION
        allowed = set(d["itinerary"])
        allowed.update(c for c in (pol_country, pou_country) if c)
        for e in mine:
            if e[CODE] in LADEN_MOVES and not e[EMPTY]:
                c = ref.country_of(e[LOC])
                if c and c not in allowed:
                    moves = ", ".join(f"{x[CODE]} {x[LOC]}" for x in mine
                                      if x[CODE] in LADEN_MOVES and ref.country_of(x[LOC]) == c)
                    out.append(make_evidence(d, "ROUTE_DEVIATION",
                                             f"container {container}: {moves} in {c}, not on the declared "
                                             f"itinerary {'-'.join(d['itinerary'])} ({d['pol']} to {d['pou']})",
                                             t, rs))
                    break

        # SEAL_TAMPERING
        resets = rs.param("SEAL_TAMPERING", "reset_events")
        prev = None
        reset = False
        for e in mine:
            code = e[CODE]
            if code in resets:
                reset = True
                continue
            if code == "STRP":
                break
            if e[EMPTY]:
                continue
            if prev is not None and prev[SEALS] and e[SEALS] != prev[SEALS] and not reset:
                now = ", ".join(e[SEALS]) or "no seal"
                out.append(make_evidence(d, "SEAL_TAMPERING",
                                         f"container {container}: seals {', '.join(prev[SEALS])} at {prev[CODE]} "
                                         f"{prev[LOC]} ({fmt_time(prev[T])}), {now} at {code} {e[LOC]} "
                                         f"({fmt_time(e[T])}), no inspection between", t, rs))
                break
            if e[SEALS] or prev is None:
                prev = e
                reset = False

        # CONTAINER_REUSE
        window = rs.param("CONTAINER_REUSE", "window_ms")
        related = rs.param("CONTAINER_REUSE", "related_similarity")
        others = []
        for o in state["decls"].values():
            if o["id"] == d["id"] or abs(o["first"] - d["first"]) > window:
                continue
            if o["ckey"] == d["ckey"]:
                continue
            if o["consignee_country"] == d["consignee_country"] and \
                    name_similarity(o["consignee"], d["consignee"]) >= related:
                continue
            others.append(o)
        if others:
            names = "; ".join(f"{o['house']} for \"{o['consignee']}\" ({fmt_time(o['first'])})" for o in others[:3])
            out.append(make_evidence(d, "CONTAINER_REUSE",
                                     f"container {container} is also declared for unrelated consignee(s) within "
                                     f"{window / 86_400_000:g} days: {names}; this one for \"{d['consignee']}\"",
                                     t, rs))

        # CONTAINER_NOT_SEEN: an absence, decided at the declaration's absence deadline
        if d["mode"] in rs.param("CONTAINER_NOT_SEEN", "modes") and t >= d["absence"]:
            since = d["first"] - rs.param("CONTAINER_NOT_SEEN", "window_before_ms")
            if not any(e[T] >= since for e in state["events"]):
                out.append(make_evidence(d, "CONTAINER_NOT_SEEN",
                                         f"no event for declared container {container} since "
                                         f"{fmt_time(since)} (filed {fmt_time(d['first'])}, expected loading "
                                         f"{fmt_time(d['load'])})", t, rs))
        return out

    @staticmethod
    def _container_of(state: dict) -> str:
        """The key's container number: from its events, else the one all its declarations share
        (the check is not told its key)."""
        if state.get("container"):
            return state["container"]
        common = None
        for d in state["decls"].values():
            common = set(d["containers"]) if common is None else common & set(d["containers"])
        common = sorted(common or ())
        return common[0] if len(common) == 1 else "one of " + ", ".join(common)
