"""PartyBehaviour: a consignor's declarations over time (split shipments, test shipments).

Key: entity_key(consignor) (transforms.parties: the trader's name variants key together).
Input: DECLARATION (FILING / AMENDMENT keep the latest version, INVALIDATION withdraws).

The 2010 printer-cartridge plot: one shipper, the same goods, several routes in a few days, to
different consignees, after small test shipments. Honest traders keep their lanes (one or two places
of loading, one itinerary each), so the signal is not "two routes" alone. Declarations are applied
in event-time order at timers (`_common.buffer_input`); each new or changed one re-evaluates the
declarations of a heading it shares filed within the windows of it (before or after: a split's
first consignment is re-assessed when the second is filed), over the consignor's declarations of
the same HS heading (4 digits) filed within window_days of it, and the assessor hears what changed
(`_common.report`). Only the latest version of each declaration counts: an AMENDMENT replaces the earlier
version (its old route or consignee is gone), an INVALIDATION removes the declaration.

The split pattern (`split_pattern`) is the consignments (over TEST_SHIPMENT max_mass_kg: a sample
parcel is no route of the goods) whose consignee is served by one route only: the same goods by
different routes to DIFFERENT consignees. A consignee served by two routes (a
big trader's second port of loading, a sailing the carrier rerouted) is one buyer reached two ways,
and a route that only serves consignees of other routes adds nothing.

| code | fires when |
| --- | --- |
| SPLIT_SHIPMENT | this declaration is in the pattern, and the pattern spans >= min_routes distinct routes (place of loading + itinerary) and >= min_consignees consignees; an established consignor (>= established_min_history declarations before the window) needs >= established_min_routes routes. Declarations of the heading outside the pattern get no evidence |
| TEST_SHIPMENT | this one is not itself a parcel (> max_mass_kg) and small shipments of the heading (at most max_mass_kg and max_mass_share of this one's mass) preceded it within window_days |

State keeps each declaration for max(split, test window) + retention after its filing (no later
declaration can change its findings after that), then forgets it; the key is cleared when nothing
is left.
"""
from __future__ import annotations

import bisect
from functools import lru_cache
from sys import intern
from typing import NamedTuple

from transforms.checks._common import (
    buffer_input,
    extend_expiry,
    rearm_cleanup,
    fmt_time,
    is_open,
    make_evidence,
    report,
    take_due,
    upsert_declaration,
)
from transforms.parties import entity_key
from transforms.state_machine import DECLARATION, Context, Step

DAY_MS = 86_400_000
MAX_DECLS = 2_000  # per consignor within the horizon; beyond it the oldest are forgotten


def _route(r: dict) -> str:
    return ">".join([r.get("place_of_loading") or "", *(r.get("itinerary") or ())])


def _compact_declaration(r: dict) -> dict:
    goods = r.get("goods") or ()
    # Interned: a consignor's declarations share routes, headings and consignees, and pickle
    # writes a string shared by several entries once (a quarter less state to write per step).
    return {
        "hs4": [intern(h) for h in sorted({(g.get("hs_code") or "")[:4] for g in goods})],
        "route": intern(_route(r)),
        "ckey": intern(entity_key(r.get("consignee"))),
        "consignee": intern((r.get("consignee") or {}).get("name") or ""),
        "mass": sum(g.get("gross_mass_kg") or 0.0 for g in goods),
    }


class PartyBehaviourCheck:
    """PartyBehaviour: split and test shipments, keyed by consignor entity."""

    name = "PartyBehaviour"

    def key_of(self, kind: str, record: dict) -> list[str]:
        if kind == DECLARATION and record.get("consignor"):
            return [entity_key(record["consignor"])]
        return []

    # -- events -----------------------------------------------------------------------------------
    def on_event(self, state, kind: str, record: dict, ctx: Context) -> Step:
        if kind != DECLARATION:
            return Step(state)
        held = state is not None
        if state is None:
            state = {"decls": {}, "order": [], "hs4": {}, "forgotten": 0, "inv": [], "expire": 0, "inbox": [],
                     "consignor": entity_key(record["consignor"])}
        return Step(state, [], [buffer_input(state, kind, record)], held=held)

    def _apply(self, state, record: dict, rs, timers: list) -> dict | None:
        """Apply one declaration in event-time order; returns the compact declaration it changed."""
        did = record["declaration_id"]
        decls = state["decls"]
        if record.get("message_type") == "INVALIDATION":
            gone = decls.pop(did, None)
            if gone is not None:
                _unindex(state, gone)
            if did not in state["inv"]:
                state["inv"].append(did)
            extend_expiry(state, record["filed_at_ms"] + self._horizon(rs), timers)
            return gone
        if did in state["inv"]:
            return None
        cur = decls.get(did)
        cur_first = None if cur is None else cur["first"]
        new = upsert_declaration(state, record, _compact_declaration, rs)
        if new is None:
            return None
        if new is not cur:
            if cur is not None:
                _unindex(state, cur)
            _index(state, new)
        if cur_first != new["first"]:
            bisect.insort(state["order"], [new["first"], did])
        extend_expiry(state, new["first"] + self._horizon(rs), timers)
        if len(decls) > MAX_DECLS:
            self._forget_oldest(state, len(decls) - MAX_DECLS)
        return new

    @staticmethod
    def _horizon(rs) -> int:
        """A declaration matters to this check while others within the windows may still come."""
        return _params(rs).horizon_window + rs.state_retention_ms

    @staticmethod
    def _forget_oldest(state: dict, n: int, before: int | None = None) -> None:
        """Forget the n oldest declarations (or every one filed before `before`)."""
        order, decls = state["order"], state["decls"]
        i = 0
        while i < len(order) and (n > 0 if before is None else order[i][0] < before):
            first, did = order[i]
            i += 1
            d = decls.get(did)
            if d is None or d["first"] != first:
                continue  # stale entry
            del decls[did]
            _unindex(state, d)
            state["forgotten"] += 1
            n -= 1
        del order[:i]

    # -- timers -----------------------------------------------------------------------------------
    def on_timer(self, state, timestamp_ms: int, ctx: Context) -> Step:
        if state is None:
            return Step(None)
        rs = ctx.ruleset
        timers: list = []
        due = take_due(state, timestamp_ms)
        changed = [d for d in (self._apply(state, record, rs, timers) for _, _, record in due) if d is not None]
        out: list[dict] = []
        if changed:
            p = _params(rs)
            origin = f"{self.name}:{state['consignor']}"
            affected = [d for d in self._affected(state, changed, p) if is_open(d, timestamp_ms)]
            splits = _split_sweep(state, affected, p)
            for d in affected:
                found = self._evaluate(d, state, timestamp_ms, rs, p, splits)
                if found or d["sent"]:
                    out.extend(report(d, found, timestamp_ms, rs, origin))
        if timestamp_ms >= state["expire"] and not state["inbox"]:
            return Step(None, out)
        self._forget_oldest(state, 0, before=timestamp_ms - self._horizon(rs) + 1)
        rearm_cleanup(state, timestamp_ms, timers)
        return Step(state, out, timers)

    @staticmethod
    def _affected(state: dict, changed: list[dict], p: "_Params") -> list[dict]:
        """The declarations whose findings a new or changed declaration may change: itself and the
        consignor's other declarations of a heading it shares, within the windows (in filing order)."""
        window = p.horizon_window
        hs4 = set()
        lo, hi = None, None
        for c in changed:
            hs4.update(c["hs4"])
            lo = c["first"] - window if lo is None else min(lo, c["first"] - window)
            hi = c["first"] + window if hi is None else max(hi, c["first"] + window)
        out = [d for d in state["decls"].values() if lo <= d["first"] <= hi and not hs4.isdisjoint(d["hs4"])]
        out.sort(key=lambda d: (d["first"], d["id"]))
        return out

    def _evaluate(self, d: dict, state: dict, t: int, rs, p: "_Params", splits: dict) -> list[dict]:
        """SPLIT_SHIPMENT and TEST_SHIPMENT for one declaration. The per-heading index answers
        the common case (one route per heading, no parcels) without scanning the history; a
        declaration of one heading has its split decided by the sweep (`_split_sweep`)."""
        index = state["hs4"]
        entries = [index[h] for h in d["hs4"] if h in index]
        maybe_split = any(len(e["routes"]) >= p.min_routes for e in entries)
        maybe_test = d["mass"] > p.max_kg and any(e["min_mass"] <= p.max_kg for e in entries)
        if not (maybe_split or maybe_test):
            return []
        out = []
        if maybe_split:
            if len(d["hs4"]) == 1:
                pattern = splits.get(d["id"])
            else:
                pattern = self._split_scan(d, state, p)
            if pattern is not None:
                out.append(self._split_evidence(d, pattern, state, t, rs, p))
        if maybe_test:
            hs4 = set(d["hs4"])
            tests = [o for o in state["decls"].values()
                     if -p.test_window <= o["first"] - d["first"] < 0 and o["mass"] <= p.max_kg
                     and o["mass"] <= p.max_share * d["mass"] and o["id"] != d["id"]
                     and not hs4.isdisjoint(o["hs4"])]
            if tests:
                tests.sort(key=lambda x: x["first"])
                detail = (f"{len(tests)} small shipment(s) of HS {'/'.join(sorted(d['hs4']))} by the same "
                          f"consignor in the {p.test_window / DAY_MS:g} days before this {d['mass']:.0f} kg one: "
                          + "; ".join(f"{x['house']} ({x['mass']:.1f} kg, {fmt_time(x['first'])})"
                                      for x in tests[:3]))
                out.append(make_evidence(d, "TEST_SHIPMENT", detail, t, rs))
        return out

    @staticmethod
    def _split_scan(d: dict, state: dict, p: "_Params") -> list[dict] | None:
        """The split pattern around `d` if SPLIT_SHIPMENT fires for it (else None), from a scan of
        the consignor's declarations sharing a heading with it within the window."""
        hs4 = set(d["hs4"])
        group = [d, *(o for o in state["decls"].values()
                      if o["id"] != d["id"] and abs(o["first"] - d["first"]) <= p.split_window
                      and not hs4.isdisjoint(o["hs4"]))]
        pattern = split_pattern(group, p.max_kg)
        routes = {x["route"] for x in pattern}
        consignees = {x["ckey"] for x in pattern}
        fires = (any(x is d for x in pattern) and len(routes) >= _routes_needed(state, d, p)
                 and len(consignees) >= p.min_consignees)
        return pattern if fires else None

    @staticmethod
    def _split_evidence(d: dict, pattern: list[dict], state: dict, t: int, rs, p: "_Params") -> dict:
        established = _established(state, d, p)
        routes = {x["route"] for x in pattern}
        consignees = {x["ckey"] for x in pattern}
        others = sorted((x for x in pattern if x["route"] != d["route"]), key=lambda x: x["first"])
        detail = (f"{'established' if established else 'new'} consignor ships HS {'/'.join(sorted(d['hs4']))} "
                  f"by {len(routes)} routes to {len(consignees)} consignees, each route to a consignee "
                  f"the others do not serve, within {p.split_window / DAY_MS:g} days: this one via "
                  f"{d['route']} to \"{d['consignee']}\", also "
                  + "; ".join(f"{x['house']} via {x['route']} to \"{x['consignee']}\" ({fmt_time(x['first'])})"
                              for x in others[:3]))
        return make_evidence(d, "SPLIT_SHIPMENT", detail, t, rs)


class _Params(NamedTuple):
    """The rule set's parameters of this check, read once per rule-set version."""

    split_window: int
    test_window: int
    horizon_window: int
    min_routes: int
    min_consignees: int
    established_min_history: int
    established_min_routes: int
    max_kg: float
    max_share: float


@lru_cache(maxsize=16)
def _params(rs) -> _Params:
    split, test = rs.cross_checks["SPLIT_SHIPMENT"], rs.cross_checks["TEST_SHIPMENT"]
    return _Params(split["window_ms"], test["window_ms"], max(split["window_ms"], test["window_ms"]),
                   split["min_routes"], split["min_consignees"], split["established_min_history"],
                   split["established_min_routes"], test["max_mass_kg"], test["max_mass_share"])


def _established(state: dict, d: dict, p: _Params) -> bool:
    """Whether the consignor had established_min_history declarations before d's window."""
    history = state["forgotten"] + bisect.bisect_left(state["order"], [d["first"] - p.split_window])
    return history >= p.established_min_history


def _routes_needed(state: dict, d: dict, p: _Params) -> int:
    return p.established_min_routes if _established(state, d, p) else p.min_routes


def _split_sweep(state: dict, affected: list[dict], p: _Params) -> dict:
    """SPLIT_SHIPMENT for the affected declarations of one heading, in one sweep per heading:
    {declaration id: its split pattern} for those it fires for. The same decision as
    `_split_scan` (a test holds the two equal), in time linear in the heading's declarations
    rather than quadratic: a window slides over them in filing order, keeping per consignee
    the routes it is served by and the counts the decision needs."""
    targets: dict[str, list[dict]] = {}
    index = state["hs4"]
    for d in affected:
        if len(d["hs4"]) == 1 and d["mass"] > p.max_kg:
            h = d["hs4"][0]
            e = index.get(h)
            if e is not None and len(e["routes"]) >= p.min_routes:
                targets.setdefault(h, []).append(d)
    if not targets:
        return {}
    members: dict[str, list[dict]] = {h: [] for h in targets}
    for o in state["decls"].values():
        if o["mass"] > p.max_kg:  # only consignments make the pattern (split_pattern)
            for h in o["hs4"]:
                if h in members:
                    members[h].append(o)
    fired = {}
    for h, ds in targets.items():
        ms = members[h]
        ms.sort(key=lambda x: x["first"])
        ds.sort(key=lambda x: x["first"])
        w = _SplitWindow()
        lo = hi = 0
        for d in ds:
            while hi < len(ms) and ms[hi]["first"] <= d["first"] + p.split_window:
                w.add(ms[hi])
                hi += 1
            while ms[lo]["first"] < d["first"] - p.split_window:
                w.remove(ms[lo])
                lo += 1
            if (len(w.routes_of[d["ckey"]]) == 1 and w.sole_routes >= _routes_needed(state, d, p)
                    and w.single_route_consignees >= p.min_consignees):
                fired[d["id"]] = split_pattern(ms[lo:hi], p.max_kg)
    return fired


class _SplitWindow:
    """Consignments in a sliding window: per consignee the routes serving it (with counts), and
    per route how many consignees it alone serves (the split pattern's routes and consignees)."""

    __slots__ = ("routes_of", "_sole", "single_route_consignees", "sole_routes")

    def __init__(self):
        self.routes_of: dict[str, dict[str, int]] = {}
        self._sole: dict[str, int] = {}  # route -> consignees served by it only
        self.single_route_consignees = 0  # the pattern's consignees
        self.sole_routes = 0  # the pattern's routes: those with a consignee of their own

    def _sole_add(self, route: str, n: int) -> None:
        before = self._sole.get(route, 0)
        self._sole[route] = before + n
        self.single_route_consignees += n
        self.sole_routes += (before + n > 0) - (before > 0)

    def add(self, x: dict) -> None:
        routes = self.routes_of.setdefault(x["ckey"], {})
        count = routes.get(x["route"], 0)
        if count == 0:
            if len(routes) == 1:
                self._sole_add(next(iter(routes)), -1)
            routes[x["route"]] = 1
            if len(routes) == 1:
                self._sole_add(x["route"], 1)
        else:
            routes[x["route"]] = count + 1

    def remove(self, x: dict) -> None:
        routes = self.routes_of[x["ckey"]]
        count = routes[x["route"]]
        if count > 1:
            routes[x["route"]] = count - 1
            return
        if len(routes) == 1:
            self._sole_add(x["route"], -1)
        del routes[x["route"]]
        if len(routes) == 1:
            self._sole_add(next(iter(routes)), 1)


def split_pattern(group: list[dict], parcel_kg: float) -> list[dict]:
    """The declarations of `group` (one consignor, one heading, one window; latest versions only)
    that form a split pattern: the consignments (over parcel_kg: samples and test parcels are
    TEST_SHIPMENT's business, not a route of the goods) whose consignee gets the goods by their
    route only. A consignee seen on two routes (a trader's second port of loading, a sailing the
    carrier rerouted) is one buyer served two ways, not a split; a route whose every consignee is
    also served by another route adds nothing. The pattern's routes are the routes with a consignee
    of their own."""
    routes_of: dict[str, set] = {}
    consignments = [x for x in group if x["mass"] > parcel_kg]
    for x in consignments:
        routes_of.setdefault(x["ckey"], set()).add(x["route"])
    return [x for x in consignments if len(routes_of[x["ckey"]]) == 1]


def _index(state: dict, d: dict) -> None:
    """Add a declaration to the per-heading summary: routes (with counts) and the smallest mass."""
    for h in d["hs4"]:
        e = state["hs4"].get(h)
        if e is None:
            e = state["hs4"][h] = {"routes": {}, "min_mass": d["mass"]}
        e["routes"][d["route"]] = e["routes"].get(d["route"], 0) + 1
        if d["mass"] < e["min_mass"]:
            e["min_mass"] = d["mass"]


def _unindex(state: dict, d: dict) -> None:
    for h in d["hs4"]:
        e = state["hs4"].get(h)
        if e is None:
            continue
        n = e["routes"].get(d["route"], 0) - 1
        if n > 0:
            e["routes"][d["route"]] = n
        else:
            e["routes"].pop(d["route"], None)
        if not e["routes"]:
            del state["hs4"][h]
        elif d["mass"] <= e["min_mass"]:  # the smallest left: recompute (rare)
            e["min_mass"] = min((o["mass"] for o in state["decls"].values() if o is not d and h in o["hs4"]),
                                default=float("inf"))
