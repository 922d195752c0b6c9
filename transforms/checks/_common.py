"""Helpers shared by the checks: time-ordered inputs, declaration bookkeeping, evidence and retractions."""
from __future__ import annotations

import datetime as _dt

from transforms import ledger, lifecycle
from transforms.intake import TIME_FIELD_BY_KIND
from transforms.state_machine import evidence

CROSS_CHECK = "CROSS_CHECK"


def make_evidence(d: dict, code: str, detail: str, event_time_ms: int, ruleset) -> dict:
    """Evidence about the compact declaration `d` (with keys id, house, v)."""
    e = evidence(d["id"], d["house"], code, detail, event_time_ms, CROSS_CHECK)
    e["declaration_version"] = d["v"]
    e["points"] = ruleset.points.get(code, 0.0)
    return e


def buffer_input(state: dict, kind: str, record: dict) -> int:
    """Hold an input until the watermark passes its event time; returns that time, for a timer.

    Every keyed stage applies its inputs at event-time timers, in event-time order (`take_due`),
    never on arrival: what it decides at an instant then depends only on the inputs up to that
    instant, however they were interleaved on the way, so the live job, the Beam replay and the
    reference runner make the same evaluations with the same evidence."""
    t = record[TIME_FIELD_BY_KIND[kind]]
    state["inbox"].append([t, kind, record])
    return t


def take_due(state: dict, timestamp_ms: int) -> list:
    """The held inputs whose time has come, in (event time, kind, arrival) order; removes them."""
    inbox = state["inbox"]
    if not inbox or min(x[0] for x in inbox) > timestamp_ms:
        return []
    due = [x for x in inbox if x[0] <= timestamp_ms]
    state["inbox"] = [x for x in inbox if x[0] > timestamp_ms]
    # By time, then kind (declarations before evidence at one instant); stable: arrival order
    # within one instant and kind (one key's records of one stream keep their order end to end).
    due.sort(key=lambda x: (x[0], x[1]))
    return due


def apply_due(state: dict, timestamp_ms: int, apply, timers: list) -> tuple[list, dict]:
    """Apply the held inputs due at `timestamp_ms` with `apply(state, kind, record, timers)` (which
    returns its ledger entries or None); returns (the inputs applied, their entries summed)."""
    due = take_due(state, timestamp_ms)
    entries: dict = {}
    for _, kind, record in due:
        for k, v in (apply(state, kind, record, timers) or {}).items():
            entries[k] = entries.get(k, 0) + v
    return due, entries


def release(entries: dict, n: int) -> None:
    """Settle n units a check held as cross-checked (their key is cleared or they aged out)."""
    if n:
        entries[ledger.CROSS_CHECKED] = entries.get(ledger.CROSS_CHECKED, 0) + n
        entries[ledger.PENDING] = entries.get(ledger.PENDING, 0) - n


def held_in_inbox(state: dict, kind: str) -> int:
    return sum(1 for x in state["inbox"] if x[1] == kind)


def upsert_declaration(state: dict, record: dict, compact, ruleset) -> dict | None:
    """Store the compact form of a FILING/AMENDMENT in state["decls"] if it is the latest
    version, with its lifecycle milestones (transforms.lifecycle); returns the stored compact
    declaration, or None if nothing changed. A new version starts its evidence afresh (the
    assessor ignores evidence about older versions)."""
    decls = state["decls"]
    did = record["declaration_id"]
    cur = decls.get(did)
    filed = record["filed_at_ms"]
    if cur is not None and record["version"] < cur["v"]:
        if filed < cur["first"]:  # an older version arriving late still moves the first filing
            _set_milestones(cur, filed, cur["rec_times"], ruleset)
            return cur
        return None
    first = filed if cur is None else min(cur["first"], filed)
    d = compact(record)
    d["id"], d["house"], d["v"] = did, record["house_document"], record["version"]
    d["rec_times"] = {k: record.get(k) for k in ("transport_mode", "expected_loading_ms", "expected_arrival_ms")}
    _set_milestones(d, first, d["rec_times"], ruleset)
    d["sent"] = {} if cur is None or cur["v"] != d["v"] else cur["sent"]
    decls[did] = d
    return d


def arrival_milestones(state: dict, record: dict, ruleset) -> "lifecycle.Milestones":
    """The milestones a declaration version implies on arrival (its first filing as known so far):
    what the stored declaration will hold once the version is applied, in the usual order."""
    cur = state["decls"].get(record["declaration_id"])
    first = record["filed_at_ms"] if cur is None else min(cur["first"], record["filed_at_ms"])
    return lifecycle.milestones(first, record, ruleset)


def _set_milestones(d: dict, first: int, times: dict, ruleset) -> None:
    m = lifecycle.milestones(first, times, ruleset)
    d["first"], d["load"], d["absence"], d["final"], d["close"] = m.filed, m.loading, m.absence, m.final, m.close


def withdraw_declaration(state: dict, record: dict, ruleset) -> int:
    """An INVALIDATION: forget the declaration, remember its id (older versions arriving later
    stay ignored), and return until when the key must be kept."""
    did = record["declaration_id"]
    gone = state["decls"].pop(did, None)
    if did not in state["inv"]:
        state["inv"].append(did)
    close = gone["close"] if gone is not None else lifecycle.milestones(record["filed_at_ms"], record, ruleset).close
    return close + ruleset.state_retention_ms


def extend_expiry(state: dict, expire: int, timers: list) -> None:
    """Push the key's cleanup time out to `expire` (never earlier). One cleanup timer is pending
    at a time (state["cleanup"]), re-armed at the latest expiry when it fires (`rearm_cleanup`):
    nearly every input extends the expiry, and a timer per extension was a fifth of all timers."""
    if expire > state["expire"]:
        state["expire"] = expire
        if not state.get("cleanup"):
            state["cleanup"] = expire
            timers.append(expire)


def rearm_cleanup(state: dict, timestamp_ms: int, timers: list) -> bool:
    """After a timer of a key that stays: if it was the pending cleanup timer, ask for the next
    one at the expiry as it is now (the key is cleared at a timer at or after its expiry).
    Returns whether the state changed."""
    if state.get("cleanup") != timestamp_ms:
        return False
    state["cleanup"] = state["expire"] if state["expire"] > timestamp_ms else None
    if state["cleanup"]:
        timers.append(state["cleanup"])
    return True


def is_open(d: dict, timestamp_ms: int) -> bool:
    """Whether a declaration's lifecycle still takes evidence at this instant."""
    return timestamp_ms < d["close"]


def report(d: dict, found: list[dict], timestamp_ms: int, ruleset, origin: str) -> list[dict]:
    """What the assessor must hear after evaluating `d`: evidence whose code is new (or whose
    points changed), and a retraction for each code sent earlier that no longer fires (a
    carrier's amendment, an event that changed the picture). d["sent"] remembers what was sent."""
    sent = d["sent"]
    out = []
    now = {}
    for e in found:
        e["origin"] = origin
        now[e["code"]] = e["points"]
        if sent.get(e["code"]) != e["points"]:
            out.append(e)
    for code in sorted(set(sent) - set(now)):
        r = make_evidence(d, code, f"{code} no longer holds", timestamp_ms, ruleset)
        r["points"], r["retracted"], r["origin"] = 0.0, True, origin
        out.append(r)
    d["sent"] = now
    return out


def clean_entries(entries: dict) -> dict | None:
    """Ledger entries without zero counts (None when nothing is left)."""
    kept = {k: v for k, v in entries.items() if v}
    return kept or None


def fmt_time(ms: int) -> str:
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
