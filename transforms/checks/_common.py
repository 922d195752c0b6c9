"""Helpers shared by the checks: declaration bookkeeping and evidence construction."""
from __future__ import annotations

import bisect
import datetime as _dt

from transforms.state_machine import evidence

CROSS_CHECK = "CROSS_CHECK"


def make_evidence(d: dict, code: str, detail: str, event_time_ms: int, ruleset) -> dict:
    """Evidence about the compact declaration `d` (with keys id, house, v)."""
    e = evidence(d["id"], d["house"], code, detail, event_time_ms, CROSS_CHECK)
    e["declaration_version"] = d["v"]
    e["points"] = ruleset.points.get(code, 0.0)
    return e


def upsert_declaration(state: dict, record: dict, compact, ruleset) -> int | None:
    """Store the compact form of a FILING/AMENDMENT in state["decls"] if it is the latest
    version, and queue its evaluation in state["pending"]; returns the evaluation time (deadline
    - 1 ms) to set a timer for, or None if nothing changed."""
    decls = state["decls"]
    did = record["declaration_id"]
    cur = decls.get(did)
    filed = record["filed_at_ms"]
    if cur is not None and cur.get("done"):
        return None  # already evaluated: later versions are the assessor's business
    if cur is not None and record["version"] < cur["v"]:
        if filed < cur["first"]:  # an older version arriving late still moves the deadline
            cur["first"] = filed
            cur["eval"] = filed + ruleset.decision_delay_ms - 1
            bisect.insort(state["pending"], [cur["eval"], did])
            return cur["eval"]
        return None
    first = filed if cur is None else min(cur["first"], filed)
    d = compact(record)
    d["id"], d["house"], d["v"] = did, record["house_document"], record["version"]
    d["first"] = first
    d["eval"] = first + ruleset.decision_delay_ms - 1
    d["done"] = False
    decls[did] = d
    if cur is None or cur["eval"] != d["eval"]:
        bisect.insort(state["pending"], [d["eval"], did])
    return d["eval"]


def withdraw_declaration(state: dict, record: dict, ruleset) -> int:
    """An INVALIDATION: forget the declaration, remember its id (older versions arriving later
    stay ignored), and return until when the key must be kept."""
    did = record["declaration_id"]
    state["decls"].pop(did, None)
    if did not in state["inv"]:
        state["inv"].append(did)
    return record["filed_at_ms"] + ruleset.decision_delay_ms + ruleset.state_retention_ms


def extend_expiry(state: dict, expire: int, timers: list) -> None:
    """Push the key's cleanup time out to `expire` (never earlier) and ask for a timer there."""
    if expire > state["expire"]:
        state["expire"] = expire
        timers.append(expire)


def evaluate_each(due: list[dict], evaluate) -> list[dict]:
    """Run `evaluate(d)` on each due declaration, mark it done, and return all the evidence."""
    out: list[dict] = []
    for d in due:
        out.extend(evaluate(d))
        d["done"] = True
    return out


def due_declarations(state: dict, timestamp_ms: int) -> list[dict]:
    """Declarations not yet evaluated whose evaluation time has come, in evaluation order.
    Cost: the number of due entries, not the size of the state."""
    pending = state["pending"]
    n = 0
    while n < len(pending) and pending[n][0] <= timestamp_ms:
        n += 1
    if not n:
        return []
    decls = state["decls"]
    due = []
    for t, did in pending[:n]:
        d = decls.get(did)
        if d is not None and not d["done"] and d["eval"] == t:  # else withdrawn or moved
            due.append(d)
    del pending[:n]
    return due


def fmt_time(ms: int) -> str:
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
