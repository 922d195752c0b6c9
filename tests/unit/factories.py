"""Small, schema-valid records for unit tests: override only what a test is about.

    decl = make_declaration(declaration_id="D1", containers=["MSCU1234565"])
    line = make_manifest_line(house_document=decl["house_document"], packages=11)
    ev = make_container_event("MSCU1234565", "LOAD", T0 + 30 * H, location="CNSHA")

`valid(name, record)` checks a record against the Avro schema (schemas.parsed_schema).
"""
from __future__ import annotations

import copy
import itertools

from fastavro.validation import validate

from schemas import parsed_schema
from transforms.codes import make_container_number
from transforms.topology import flatten_manifest

T0 = 1_764_547_200_000  # 2025-12-01T00:00Z, the generator's default start
H = 3_600_000
DAY = 24 * H

_ids = itertools.count(1)


def party(name="Shenzhen Bright Electronics Co Ltd", country="CN", eori=None, aeo=False, address=None) -> dict:
    return {"name": name, "eori": eori, "country": country, "address": address, "aeo": aeo}


def goods(hs_code="847130", description="laptop computers", packages=10, gross_mass_kg=100.0, value=18_000.0,
          currency="EUR", origin_country="CN") -> dict:
    return {"hs_code": hs_code, "description": description, "packages": packages, "gross_mass_kg": gross_mass_kg,
            "value": value, "currency": currency, "origin_country": origin_country}


def container_number(serial: int) -> str:
    return make_container_number("MSC", serial)


def make_declaration(**overrides) -> dict:
    """An honest sea ENS filing (laptops, Shanghai -> Rotterdam), with overrides applied.

    `goods_overrides` (a dict) changes fields of the single goods item."""
    n = next(_ids)
    goods_overrides = overrides.pop("goods_overrides", None)
    d = {
        "declaration_id": f"LRN{n:06d}",
        "version": 1,
        "message_type": "FILING",
        "filing_level": "HOUSE",
        "house_document": f"HBL{n:06d}",
        "master_document": f"MBL{n:06d}",
        "declarant_id": "NL123456789",
        "consignor": party(),
        "consignee": party("Rotterdam Computer Supplies BV", "NL", eori="NL987654321"),
        "notify_party": None,
        "goods": [goods()],
        "transport_mode": "SEA",
        "conveyance_ref": "9321483",
        "place_of_loading": "CNSHA",
        "place_of_unloading": "NLRTM",
        "itinerary": ["CN", "NL"],
        "containers": [container_number(n)],
        "seals": [f"SL{n:06d}"],
        "filed_at_ms": T0,
    }
    if goods_overrides:
        d["goods"][0].update(goods_overrides)
    d.update(overrides)
    return d


def amend(decl: dict, **overrides) -> dict:
    """The next version of a declaration (AMENDMENT), filed an hour later unless overridden."""
    d = copy.deepcopy(decl)
    d["version"] = decl["version"] + 1
    d["message_type"] = "AMENDMENT"
    d["filed_at_ms"] = decl["filed_at_ms"] + H
    d.update(overrides)
    return d


def invalidate(decl: dict, **overrides) -> dict:
    d = amend(decl, **overrides)
    d["message_type"] = "INVALIDATION"
    return d


def make_manifest(lines: list[dict], **overrides) -> dict:
    n = next(_ids)
    m = {
        "manifest_id": f"MAN{n:06d}",
        "carrier_id": "MSCU",
        "transport_mode": "SEA",
        "conveyance_ref": "9321483",
        "voyage": "V001",
        "port_of_loading": "CNSHA",
        "port_of_discharge": "NLRTM",
        "lines": lines,
        "filed_at_ms": T0 + 6 * H,
    }
    m.update(overrides)
    return m


def line_for(decl: dict, **overrides) -> dict:
    """A ManifestLine that agrees with the declaration, with overrides applied."""
    g = decl["goods"]
    line = {
        "master_document": decl["master_document"],
        "house_document": decl["house_document"],
        "consignee_name": decl["consignee"]["name"],
        "description": g[0]["description"],
        "hs_code": g[0]["hs_code"][:4],
        "container": (decl["containers"] or [None])[0],
        "packages": sum(x["packages"] for x in g),
        "gross_mass_kg": sum(x["gross_mass_kg"] for x in g),
    }
    line.update(overrides)
    return line


def make_manifest_line(decl: dict | None = None, manifest_overrides: dict | None = None, **overrides) -> dict:
    """A flattened manifest line (what CrossCheckConsignment receives): a line agreeing with `decl`
    (or with a fresh declaration) plus the manifest-level fields."""
    decl = decl or make_declaration()
    manifest = make_manifest([line_for(decl, **overrides)], **(manifest_overrides or {}))
    return flatten_manifest(manifest)[0]


def make_container_event(container: str, code: str, t: int, location: str | None = "CNSHA", seals=(),
                         empty: bool = False, classifier: str = "ACT", docs=(), **overrides) -> dict:
    n = next(_ids)
    e = {
        "event_id": f"EV{n:08d}",
        "event_type": "EQUIPMENT",
        "event_type_code": code,
        "event_classifier": classifier,
        "equipment_reference": container,
        "event_time_ms": t,
        "event_created_ms": t + 60_000,
        "location": location,
        "transport_call_id": None,
        "mode_of_transport": "VESSEL" if code in ("LOAD", "DISC") else "TRUCK",
        "vessel_imo": "9321483" if code in ("LOAD", "DISC") else None,
        "empty_indicator": "EMPTY" if empty else "LADEN",
        "seals": list(seals),
        "document_references": list(docs),
    }
    e.update(overrides)
    return e


def honest_journey(decl: dict, transship: tuple[str, ...] = ()) -> list[dict]:
    """The container events of an honest sea journey (docs/scenarios.md time line)."""
    T = decl["filed_at_ms"]
    seals = decl["seals"]
    pol, pou = decl["place_of_loading"], decl["place_of_unloading"]
    events = []
    for c in decl["containers"]:
        events.append(make_container_event(c, "GTOT", T - 20 * H, pol, empty=True))
        events.append(make_container_event(c, "STUF", T - 10 * H, pol, seals))
        events.append(make_container_event(c, "GTIN", T - 5 * H, pol, seals))
        events.append(make_container_event(c, "LOAD", T + 30 * H, pol, seals))
        t = T + 50 * H
        for port in transship:
            events.append(make_container_event(c, "DISC", t, port, seals))
            events.append(make_container_event(c, "LOAD", t + 10 * H, port, seals))
            t += 20 * H
        events.append(make_container_event(c, "DISC", T + 90 * H, pou, seals))
        events.append(make_container_event(c, "GTOT", T + 95 * H, pou, seals))
    return events


def valid(schema_name: str, record: dict) -> bool:
    return validate(record, parsed_schema(schema_name), raise_errors=True)


def kind_of(record: dict) -> tuple[str, int]:
    """(input kind, event time) of a record built here."""
    if "goods" in record:
        return "declaration", record["filed_at_ms"]
    if "lines" in record:
        return "manifest", record["filed_at_ms"]
    if "event_type_code" in record:
        return "container_event", record["event_time_ms"]
    if "manifest_id" in record:
        return "manifest_line", record["filed_at_ms"]
    if "finding" in record:
        return "control_result", record["controlled_at_ms"]
    raise ValueError(f"unknown record {sorted(record)}")


def as_inputs(*records, ordered: bool = True) -> list[tuple[str, dict, int]]:
    """(kind, record, event_time_ms) inputs, sorted by event time unless ordered=False."""
    out = []
    for r in records:
        kind, t = kind_of(r)
        out.append((kind, r, t))
    if ordered:
        out.sort(key=lambda x: x[2])
    return out


def run_checks(*records, checks=None, ordered: bool = True, ruleset=None, out_of_orderness_ms: int = 0):
    """Run records through the checks (default: all of topology.CHECKS) and the assessor.

    Returns (evidence, assessments, runner); runner.live_keys() is 0 when all state was cleared."""
    from transforms.runner import Runner

    evidence: list[dict] = []
    runner = Runner(ruleset=ruleset, checks=checks, evidence_sink=evidence, out_of_orderness_ms=out_of_orderness_ms,
                    now_ms=lambda: 0)
    for kind, r, t in as_inputs(*records, ordered=ordered):
        runner.feed(kind, r, t)
    assessments = runner.finish()
    return evidence, assessments, runner


def codes_for(evidence: list[dict], declaration_id) -> set[str]:
    return {e["code"] for e in evidence if e["declaration_id"] == declaration_id}


# -- the assessment lifecycle: evidence is sent as it changes (new findings, retractions) -------------
def standing(evidence: list[dict]) -> dict:
    """What is in force at the end of an evidence stream, applying each retraction to the finding
    it withdraws: {(declaration_id, declaration_version): {code: evidence}} (declaration_id None
    for a consignment nobody declared)."""
    out: dict = {}
    for e in evidence:
        found = out.setdefault((e["declaration_id"], e.get("declaration_version")), {})
        if e.get("retracted"):
            assert e["code"] in found, f"retraction of {e['code']} that was never sent: {e}"
            del found[e["code"]]
        else:
            found[e["code"]] = e
    return out


def standing_codes(evidence: list[dict], declaration_id, version: int | None = None) -> set[str]:
    """The codes in force at the end for a declaration's version (default: the latest version any
    evidence names)."""
    held = standing(evidence)
    if version is None:
        versions = [v for (d, v) in held if d == declaration_id]
        if not versions:
            return set()
        version = max(versions, key=lambda v: v or 0)
    return set(held.get((declaration_id, version), {}))


def timeline(evidence: list[dict], declaration_id=...) -> list[tuple]:
    """(declaration_id, code, version, retracted, event_time_ms) of each evidence, in order; only
    for one declaration when `declaration_id` is given."""
    return [(e["declaration_id"], e["code"], e.get("declaration_version"), bool(e.get("retracted")),
             e["event_time_ms"]) for e in evidence if declaration_id is ... or e["declaration_id"] == declaration_id]


def last_assessments(assessments: list[dict]) -> dict:
    """The last assessment of each lifecycle, by declaration id (None for the house documents)."""
    out: dict = {}
    for a in assessments:
        key = a["declaration_id"] if a["declaration_id"] is not None else "HOUSE:" + a["house_document"]
        if key not in out or a["sequence"] > out[key]["sequence"]:
            out[key] = a
    return out


def drive(check, records, ruleset=None, reference=None, key=None) -> tuple[list[tuple[int, dict]], object]:
    """Drive one check by hand, as an engine would with no out-of-orderness: for each record (in
    the order given), on_event, then on_timer at every timer the check asked for up to the record's
    time (an input is applied at its own event time); at the end every timer fires. Only the
    key of `key` (default: the first key the check gives the first record). Returns
    ([(timer time, evidence)], final state)."""
    import heapq

    from transforms.reference import load_reference
    from transforms.rules import load_ruleset
    from transforms.state_machine import Context

    ctx = Context(ruleset or load_ruleset(), reference or load_reference(), now_ms=lambda: 0)
    state, timers, out = None, [], []

    def fire_until(t):
        nonlocal state
        while timers and timers[0] <= t:
            ts = heapq.heappop(timers)
            while timers and timers[0] == ts:
                heapq.heappop(timers)
            step = check.on_timer(state, ts, ctx)
            state = step.state
            out.extend((ts, e) for e in step.outputs)
            for x in step.timers:
                heapq.heappush(timers, x)

    for r in records:
        kind, t = kind_of(r)
        if key is None:
            key = check.key_of(kind, r)[0]
        if key not in check.key_of(kind, r):
            continue
        fire_until(t - 1)
        step = check.on_event(state, kind, r, ctx)
        assert step.outputs == [], "a check answers at its timers, not on arrival"
        state = step.state
        for x in step.timers:
            heapq.heappush(timers, x)
        fire_until(t)
    fire_until(float("inf"))
    return out, state


def bounded_shuffle(inputs, out_of_orderness_ms: int, rnd) -> list:
    """A random arrival order of (kind, record, t) inputs in which none comes more than
    `out_of_orderness_ms` behind the latest seen: what the watermark promises to absorb."""
    out = sorted(inputs, key=lambda x: x[2] + rnd.randrange(0, out_of_orderness_ms + 1))
    latest = -(2**63)
    for _, _, t in out:
        assert t >= latest - out_of_orderness_ms
        latest = max(latest, t)
    return out


def evidence_sequence(checks, inputs, out_of_orderness_ms: int) -> list[dict]:
    """The evidence `checks` emit, in order, when the reference runner takes `inputs` in the order
    given; none may be late and no state may be left."""
    from transforms.runner import Runner

    ev: list = []
    r = Runner(checks=checks, out_of_orderness_ms=out_of_orderness_ms, evidence_sink=ev, now_ms=lambda: 0)
    for kind, rec, t in inputs:
        r.feed(kind, rec, t)
    r.finish()
    assert r.late_inputs == 0 and r.live_keys() == 0
    return ev
