"""CrossCheckConsignment: the declaration against the carrier's manifest lines, per house document.

Key: house_document. Inputs: DECLARATION (FILING / AMENDMENT keep the latest version,
INVALIDATION withdraws it) and MANIFEST_LINE (topology.flatten_manifest: one ManifestLine plus the
manifest's manifest_id, transport_mode, conveyance_ref, port_of_loading, port_of_discharge,
filed_at_ms).

Lines are held per manifest_id: a later Manifest record with the same manifest_id is the carrier's
amendment, and its line(s) for the house document replace the earlier ones of that manifest (the
latest filed_at_ms wins; a line of an earlier record arriving after the amendment is ignored).
Lines of one record are kept together: a consignment may take several lines of one manifest.

Inputs are applied in event-time order at timers (`_common.buffer_input`); after each, every open
declaration is compared with every line held for the house document (the lines of one manifest
are summed), and the assessor hears what changed: new findings, and retractions of findings a
carrier's amendment removed (`_common.report`):

| code | fires when |
| --- | --- |
| MANIFEST_PACKAGES_MISMATCH | a manifest's packages differ from the declaration's |
| MANIFEST_MASS_MISMATCH | a manifest's gross mass differs by more than `tolerance` (share) |
| MANIFEST_HS_CHAPTER_MISMATCH | a line's HS code (when given) is in no chapter of the goods |
| MANIFEST_CONSIGNEE_MISMATCH | a line's consignee name is unrelated (similarity < min_similarity) |
| MANIFEST_CONTAINER_MISMATCH | a line's container is not among the declared containers |
| UNDECLARED_CONSIGNMENT | at the absence deadline of the first line seen (its manifest's expected loading + absence_after_loading, transforms.lifecycle; an amended line keeps it) no declaration for the house document exists (declaration_id None) |

State is cleared state_retention after the last lifecycle's close.
"""
from __future__ import annotations

from transforms import ledger
from transforms import lifecycle
from transforms.checks._common import (
    apply_due,
    release,
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
from transforms.parties import name_similarity
from transforms.state_machine import DECLARATION, MANIFEST_LINE, Context, Step, evidence

MAX_LINES = 32  # per house document; a consignment rarely takes more than a few lines
_HELD_ONE = {ledger.PENDING: 1}  # shared, never mutated


def _compact_declaration(r: dict) -> dict:
    goods = r.get("goods") or ()
    return {
        "packages": sum(g.get("packages") or 0 for g in goods),
        "mass": sum(g.get("gross_mass_kg") or 0.0 for g in goods),
        "chapters": sorted({(g.get("hs_code") or "")[:2] for g in goods}),
        "consignee": (r.get("consignee") or {}).get("name") or "",
        "containers": list(r.get("containers") or ()),
    }


class ConsignmentCheck:
    """CrossCheckConsignment: declaration vs manifest lines, keyed by house document."""

    name = "CrossCheckConsignment"
    owns = MANIFEST_LINE  # accounts for every manifest line (transforms.ledger)

    @staticmethod
    def held_units(state) -> int:
        return len(state["lines"]) + held_in_inbox(state, MANIFEST_LINE)

    def key_of(self, kind: str, record: dict) -> list[str]:
        if kind == DECLARATION or kind == MANIFEST_LINE:
            h = record.get("house_document")
            return [h] if h else []
        return []

    def on_event(self, state, kind: str, record: dict, ctx: Context) -> Step:
        if kind != DECLARATION and kind != MANIFEST_LINE:
            return Step(state)
        held = state is not None
        if state is None:
            state = {"house": record.get("house_document") or "", "decls": {}, "inv": [], "lines": [],
                     "first_line": None, "line_times": None, "undeclared_done": False, "expire": 0, "inbox": []}
        timers = [buffer_input(state, kind, record)]
        if kind == MANIFEST_LINE:
            # The absence deadline of the first line, registered now (see ContainerCheck.on_event).
            first = record["filed_at_ms"] if state["first_line"] is None else min(state["first_line"], record["filed_at_ms"])
            timers.append(lifecycle.milestones(first, record, ctx.ruleset).absence)
        return Step(state, [], timers, ledger=_HELD_ONE if kind == MANIFEST_LINE else None, held=held)

    def _apply(self, state, kind: str, record: dict, rs, timers: list) -> dict | None:
        """Apply one input in event-time order; returns its ledger entries (the unit was counted
        pending when it was buffered)."""
        if kind == DECLARATION:
            did = record["declaration_id"]
            if record.get("message_type") == "INVALIDATION":
                extend_expiry(state, withdraw_declaration(state, record, rs), timers)
            elif did not in state["inv"]:
                d = upsert_declaration(state, record, _compact_declaration, rs)
                if d is not None:
                    extend_expiry(state, d["close"] + rs.state_retention_ms, timers)
            return None
        line = {
            "manifest": record.get("manifest_id") or "",
            "packages": record.get("packages") or 0,
            "mass": record.get("gross_mass_kg") or 0.0,
            "hs": record.get("hs_code"),
            "container": record.get("container"),
            "consignee": record.get("consignee_name") or "",
            "filed": record["filed_at_ms"],
            "route": f"{record.get('port_of_loading')}->{record.get('port_of_discharge')}",
            "conveyance": record.get("conveyance_ref"),
        }
        lines = state["lines"]
        if line in lines:
            return {ledger.DUPLICATE: 1, ledger.PENDING: -1}  # the same line re-sent
        same = [x for x in lines if x["manifest"] == line["manifest"]]
        if any(x["filed"] > line["filed"] for x in same):
            # an earlier record of the manifest, superseded already
            return {ledger.SUPERSEDED: 1, ledger.PENDING: -1}
        entries = None
        if any(x["filed"] < line["filed"] for x in same):
            # the carrier's amendment: its line(s) for this house document replace the earlier ones
            state["lines"] = lines = [x for x in lines if x["manifest"] != line["manifest"]]
            entries = {ledger.SUPERSEDED: len(same), ledger.PENDING: -len(same)}
        if len(lines) >= MAX_LINES:
            return {ledger.OVER_CAPACITY: 1, ledger.PENDING: -1}
        lines.append(line)
        if state.get("first_line") is None or line["filed"] < state["first_line"]:
            state["first_line"] = line["filed"]
            state["line_times"] = {k: record.get(k) for k in ("transport_mode", "expected_loading_ms",
                                                              "expected_arrival_ms")}
        m = lifecycle.milestones(state["first_line"], state["line_times"], rs)
        if not state["undeclared_done"]:
            timers.append(m.absence)  # a line with no declaration by then is UNDECLARED_CONSIGNMENT
        extend_expiry(state, m.close + rs.state_retention_ms, timers)
        return entries

    def on_timer(self, state, timestamp_ms: int, ctx: Context) -> Step:
        if state is None:
            return Step(None)
        rs = ctx.ruleset
        timers: list = []
        due, entries = apply_due(state, timestamp_ms, lambda s, k, r, tm: self._apply(s, k, r, rs, tm), timers)
        out: list[dict] = []
        lines = state["lines"]
        if due:
            for d in state["decls"].values():
                if is_open(d, timestamp_ms):
                    out.extend(report(d, self._compare(d, lines, timestamp_ms, rs), timestamp_ms, rs,
                                      f"{self.name}:{state['house']}"))
        changed = bool(due)
        if lines and not state["undeclared_done"] and not state["decls"]:
            m = lifecycle.milestones(state["first_line"], state["line_times"], rs)
            if m.absence <= timestamp_ms:
                changed = True
                state["undeclared_done"] = True
                line = min(lines, key=lambda x: x["filed"])
                out.append(evidence(
                    None, state["house"], "UNDECLARED_CONSIGNMENT",
                    f"manifest {line['manifest']} ({line['conveyance']}, {line['route']}) carries this "
                    f"consignment ({line['packages']} packages, {line['mass']:.0f} kg, consignee "
                    f"\"{line['consignee']}\") and no declaration was filed for it by "
                    f"{fmt_time(m.absence)} (expected loading {fmt_time(m.loading)})",
                    timestamp_ms, "CROSS_CHECK",
                ) | {"points": rs.points["UNDECLARED_CONSIGNMENT"]})
        if timestamp_ms >= state["expire"] and not state["inbox"]:
            release(entries, len(lines))
            return Step(None, out, ledger=_clean(entries))
        changed = rearm_cleanup(state, timestamp_ms, timers) or changed
        # Many of this check's timers (a line's absence deadline when its declaration exists) change nothing.
        return Step(state, out, timers, ledger=_clean(entries), unchanged=not changed)

    def _compare(self, d: dict, lines: list, t: int, rs) -> list[dict]:
        if not lines:
            return []
        out = []
        by_manifest: dict[str, list] = {}
        for line in lines:
            by_manifest.setdefault(line["manifest"], []).append(line)
        tol = rs.param("MANIFEST_MASS_MISMATCH", "tolerance")
        min_sim = rs.param("MANIFEST_CONSIGNEE_MISMATCH", "min_similarity")
        fired: dict[str, str] = {}
        for manifest, group in sorted(by_manifest.items()):
            packages = sum(x["packages"] for x in group)
            mass = sum(x["mass"] for x in group)
            if packages != d["packages"] and "MANIFEST_PACKAGES_MISMATCH" not in fired:
                fired["MANIFEST_PACKAGES_MISMATCH"] = (
                    f"manifest {manifest} lists {packages} packages, declaration v{d['v']} {d['packages']}")
            if d["mass"] > 0 and abs(mass - d["mass"]) / d["mass"] > tol and "MANIFEST_MASS_MISMATCH" not in fired:
                fired["MANIFEST_MASS_MISMATCH"] = (
                    f"manifest {manifest} lists {mass:.1f} kg gross, declaration v{d['v']} {d['mass']:.1f} kg "
                    f"({(mass - d['mass']) / d['mass']:+.0%}, tolerance {tol:.0%})")
            for x in group:
                hs = x["hs"]
                if hs and len(hs) >= 2 and hs[:2] not in d["chapters"] and "MANIFEST_HS_CHAPTER_MISMATCH" not in fired:
                    fired["MANIFEST_HS_CHAPTER_MISMATCH"] = (
                        f"manifest {manifest} gives HS {hs} (chapter {hs[:2]}), the declaration's goods are in "
                        f"chapter(s) {', '.join(d['chapters'])}")
                c = x["container"]
                if c and d["containers"] and c not in d["containers"] and "MANIFEST_CONTAINER_MISMATCH" not in fired:
                    fired["MANIFEST_CONTAINER_MISMATCH"] = (
                        f"manifest {manifest} puts the consignment in container {c}, declared "
                        f"{', '.join(d['containers'])}")
                if "MANIFEST_CONSIGNEE_MISMATCH" not in fired and x["consignee"] and d["consignee"]:
                    sim = name_similarity(x["consignee"], d["consignee"])
                    if sim < min_sim:
                        fired["MANIFEST_CONSIGNEE_MISMATCH"] = (
                            f"manifest {manifest} names consignee \"{x['consignee']}\", the declaration "
                            f"\"{d['consignee']}\" (similarity {sim:.0f})")
        for code, detail in fired.items():
            out.append(make_evidence(d, code, detail, t, rs))
        return out
