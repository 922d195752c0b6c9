"""Synthetic customs traffic with planted risk scenarios and their ground truth.

`generate(out_dir, days=1, seed=7, declarations_per_day=3000, rates=None, start_ms=None)` writes

    declarations.avro         ENS filings (house level), amendments, invalidations; by filed_at_ms
    manifests.avro            carriers' manifests, one per conveyance and voyage; by filed_at_ms
    container_events.avro     DCSA events normalised by transforms.dcsa.from_dcsa; by event_time_ms
    container_events.dcsa.jsonl   the raw DCSA Track & Trace 2.2 EquipmentEvents, same order
    control_results.avro      officers' control findings; by controlled_at_ms
    ground_truth.json         every planted instance (format: docs/scenarios.md)

and returns the ground truth. The same arguments give byte-identical files.

Times are real ones (docs/scenarios.md, time line; generator/schedule.py): deep sea filed 1-4 days
before loading and 3 days to 6 weeks at sea, air and post filed hours before a flight of 8-30 h,
road hours before a crossing of hours to two days; a share of the voyages and flights is late.
Declarations and manifests carry the schedule as filed (expected_loading_ms,
expected_arrival_ms), container events the actual times, and ground_truth.json the actual loading
and arrival of every declaration and each instance's deadline (in_time_by, deadline_ms).

The world (generator/world.py): consignors in exporting countries with one or two lanes each
(place of loading, itinerary, HS codes, usual consignees), EU importers with their forwarders,
sea services with vessels (IMO numbers with check digit), flights, Ro-Ro crossings, e-commerce
sellers posting parcels to private persons. Traffic: transport modes sea 45% / air 25% / post
20% / road 10% of filings; filings follow office hours (UTC), quiet weekends and an optional peak
day. Values are in EUR, or USD for a share of traders (FX table: generator.data.FX_TO_EUR).
Honest traffic has the near misses of docs/scenarios.md (second ports of loading, itinerary
changes, value tails, manifest noise and amendments, consolidations, name variants, look-alike
words, last-minute filings); planted instances carry their one anomaly, at full strength.
"""
from __future__ import annotations

import calendar
import hashlib
import json
import random
from datetime import datetime, timezone
from pathlib import Path

from generator import data as D
from generator.consignments import MINUTE_MS, Consignment, Factory
from generator.events import EventFactory
from generator.scenarios import IN_TIME_BY, SCENARIOS, SHOWN_BY_THE_LAST_FILING
from generator.schedule import Schedule
from generator.world import DAY_MS, HOUR_MS, World
from schemas.codec import write_avro_file
from transforms.dcsa import from_dcsa
from transforms.reference import load_reference

__all__ = ["generate", "DEFAULT_RATES", "DEFAULT_START_MS", "MODE_SHARES"]

DEFAULT_START_MS = calendar.timegm((2026, 11, 2, 0, 0, 0)) * 1000  # Monday 2026-11-02T00:00Z
DEFAULT_RATES = {code: 0.01 for code in SCENARIOS}
MODE_SHARES = {"SEA": 0.45, "AIR": 0.25, "POSTAL": 0.20, "ROAD": 0.10}
AMENDMENT_SHARE = 0.02
INVALIDATION_SHARE = 0.005
RANDOM_CONTROL_SHARE = 0.02
# Honest near misses (docs/scenarios.md, time line): what honest traffic does that a detector
# must not mistake for a planted scenario. Shares of honest filings unless said otherwise; the
# second port of loading of a few big traders is in generator.world (SECOND_PORT_SHARE).
LAST_MINUTE_SHARE = 0.1  # of air and road filings: filed 30-90 minutes before departure
VALUE_LOW_SHARE = 0.01  # of goods items: priced at 0.5-0.6 x the norm (clearance, discount)
VALUE_HIGH_SHARE = 0.01  # of goods items: priced at 2-3 x the norm (premium lines)
LOOKALIKE_SHARE = 0.015  # of goods items whose HS code has one: a harmless "ivory" / "water pistols"
NAME_VARIANT_SHARE = 0.03  # consignor or consignee filed under a variant of its name
REROUTE_SHARE = 0.005  # of sea filings: a planned itinerary change, amended before the diversion
CONSOLIDATION_SHARE = 0.015  # of sea filings: more goods for the same consignee in the same container
MANIFEST_MASS_NOISE = 0.08  # of manifest lines: gross mass 1-5% off the declaration
MANIFEST_WORDING = 0.2  # of manifest lines: the goods in other words than the declaration's

# Filing rhythm: weight of each UTC hour (European office hours, Asian afternoon) and weekday.
HOUR_WEIGHTS = [0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.3, 1.5, 1.5, 1.4, 1.3, 1.2, 1.3, 1.4, 1.4, 1.2, 0.9,
                0.7, 0.5, 0.4, 0.35, 0.3, 0.25]
WEEKDAY_WEIGHTS = [1.0, 1.05, 1.05, 1.05, 1.0, 0.45, 0.3]  # Monday .. Sunday


class Clock:
    """Draws filing times: the day by weekday weight (and the peak), the hour by office hours."""

    def __init__(self, rng: random.Random, start_ms: int, days: int, peak_day: int | None, peak_factor: float):
        self.rng, self.start, self.end = rng, start_ms, start_ms + days * DAY_MS
        self.day0 = start_ms - start_ms % DAY_MS
        n = days + (1 if start_ms % DAY_MS else 0)
        self.days = list(range(n))
        self.day_weights = []
        for d in self.days:
            wd = datetime.fromtimestamp((self.day0 + d * DAY_MS) / 1000, timezone.utc).weekday()
            self.day_weights.append(WEEKDAY_WEIGHTS[wd] * (peak_factor if d == peak_day else 1.0))
        self.hours = list(range(24))

    def sample(self) -> int:
        r = self.rng
        while True:
            d = r.choices(self.days, self.day_weights)[0]
            h = r.choices(self.hours, HOUR_WEIGHTS)[0]
            t = self.day0 + d * DAY_MS + h * HOUR_MS + r.randrange(3600) * 1000
            if self.start <= t < self.end:
                return t


class Builder:
    """Collects consignments (honest and planted) and turns them into the four streams."""

    def __init__(self, world: World, rng: random.Random, clock: Clock, schedule: Schedule):
        self.w, self.rng, self.clock = world, rng, clock
        self.ref = world.ref
        self.start, self.end = clock.start, clock.end
        self.sched = schedule
        self.f = Factory(world, rng, clock.start, schedule)
        self.ev = EventFactory(world, rng, schedule)
        self.consignments: list[Consignment] = []
        self.restricted_count = 0
        self._lane_index = {m: list(range(len(v))) for m, v in world.lanes_by_mode.items()}
        self._by_route: dict | None = None

    # -- used by the scenarios --------------------------------------------------------------------
    def sample_time(self) -> int:
        return self.clock.sample()

    def pick_lane(self, mode: str) -> tuple:
        i = self.rng.choices(self._lane_index[mode], self.w.lane_weights[mode])[0]
        return self.w.lanes_by_mode[mode][i]

    def add(self, c: Consignment) -> None:
        self.consignments.append(c)

    # -- honest traffic ---------------------------------------------------------------------------
    def honest(self, t: int, room: int = 1) -> int:
        """One honest filing at t (two with a consolidation, if room allows); returns how many."""
        r, f = self.rng, self.f
        mode = r.choices(list(MODE_SHARES), list(MODE_SHARES.values()))[0]
        consignor, lane = self.pick_lane(mode)
        importer = r.choices(lane.consignees, [i.weight for i in lane.consignees])[0] if lane.consignees else None
        via = lane.alt if lane.alt is not None and importer is lane.alt.importer and r.random() < lane.alt.share \
            else None
        c = f.consignment(consignor.party, lane, t, importer=importer, via=via)
        if mode in ("AIR", "ROAD") and r.random() < LAST_MINUTE_SHARE:
            f.last_minute(c, self.end)
        for g in c.goods:
            u = r.random()
            if u < VALUE_LOW_SHARE:
                f.reprice(g, r.uniform(0.5, 0.6))
            elif u < VALUE_LOW_SHARE + VALUE_HIGH_SHARE:
                f.reprice(g, r.uniform(2.0, 3.0))
            lookalikes = D.LOOKALIKE_DESCRIPTIONS.get(g["hs_code"][:6])
            if lookalikes and r.random() < LOOKALIKE_SHARE:
                g["description"] = r.choice(lookalikes)
        if r.random() < NAME_VARIANT_SHARE:
            if mode != "POSTAL" and r.random() < 0.5:  # the carrier keeps the registered name
                c.line_override = {"consignee_name": c.consignee["name"]}
                c.consignee = f.name_variant(c.consignee)
            else:
                c.consignor = f.name_variant(c.consignor)
        u = r.random()
        if u < AMENDMENT_SHARE:
            f.amend(c)
        elif u < AMENDMENT_SHARE + INVALIDATION_SHARE:
            f.invalidate(c)
        elif mode == "SEA" and u < AMENDMENT_SHARE + INVALIDATION_SHARE + REROUTE_SHARE:
            f.reroute(c)
        elif r.random() < RANDOM_CONTROL_SHARE:
            finding = "NO_FINDING" if r.random() < 0.92 else "IRREGULARITY"
            c.control = {"finding": finding, "category": None,
                         "type": r.choices(["DOCUMENTARY", "SCAN", "PHYSICAL"], [5, 3, 2])[0],
                         "amount": round(r.uniform(20, 400), 2) if finding == "IRREGULARITY" else 0.0}
        self.add(c)
        if (mode == "SEA" and room > 1 and c.amendment is None and c.invalidated_at is None
                and c.events["kind"] == "normal" and r.random() < CONSOLIDATION_SHARE):
            partner = f.consolidate(c, *self._consolidation_partner(consignor, lane, c), self.end)
            if partner is not None:
                self.add(partner)
                return 2
        return 1

    def _consolidation_partner(self, consignor, lane, c: Consignment) -> tuple:
        """Who else loads for the consignee: the same supplier (a second order) or, half of the
        time, another supplier whose own sea lane is the same service (port, hub, port)."""
        if self._by_route is None:
            self._by_route = {}
            for x, ln in self.w.lanes_by_mode["SEA"]:
                self._by_route.setdefault(ln.route.key, []).append((x, ln))
        others = [(x, ln) for x, ln in self._by_route.get(c.route.key, []) if x is not consignor]
        if others and self.rng.random() < 0.5:
            x, ln = self.rng.choice(others)
            return x.party, ln
        return consignor.party, lane

    # -- second pass: conveyances, documents, streams ---------------------------------------------------
    def _assign_conveyances(self, cons: list) -> None:
        r, w = self.rng, self.w
        trucks: dict = {}
        for c in cons:
            if c.mode == "ROAD":
                trucks.setdefault((c.route.key, c.dep_ms), []).append(c)
        for (_, dep), group in trucks.items():
            i = 0
            while i < len(group):
                k = r.choice([1, 1, 2, 2, 3, 4])
                route = group[i].route
                haulier = r.choice(route.hauliers)
                plate = w.plate(haulier[2])
                ref = f"TRP{datetime.fromtimestamp(dep / 1000, timezone.utc):%y%m%d}{w.digits(6)}"
                for c in group[i:i + k]:
                    c.trip = (plate, haulier)
                    c.conveyance_ref = plate
                    c.master_document = ref
                i += k
        mawbs: dict = {}
        for c in cons:
            if c.mode in ("AIR", "POSTAL"):
                key = (c.mode, c.route.key, c.dep_ms, c.forwarder.code if c.mode == "AIR" and c.forwarder else None)
                if key not in mawbs:
                    mawbs[key] = w.master_awb(c.route.airline)
                c.master_document = mawbs[key]

    def _declarations(self, cons: list) -> list:
        out = []
        for c in cons:
            if not c.declared:
                continue
            times = self.sched.times(c)
            base = {
                "declaration_id": c.declaration_id, "version": 1, "message_type": "FILING",
                "filing_level": "HOUSE", "house_document": c.house_document,
                "master_document": c.master_document, "declarant_id": c.declarant_id,
                "consignor": dict(c.consignor), "consignee": dict(c.consignee),
                "notify_party": dict(c.notify) if c.notify else None,
                "goods": [dict(g) for g in c.goods], "transport_mode": c.mode, "conveyance_ref": c.conveyance_ref,
                "place_of_loading": c.pol, "place_of_unloading": c.pod, "itinerary": list(c.itinerary),
                "containers": list(c.containers), "seals": list(c.seals), "filed_at_ms": c.filed_at,
                "expected_loading_ms": times.expected_loading, "expected_arrival_ms": times.expected_arrival,
            }
            if c.amendment:
                first = dict(base, **c.amendment["v1"])
                out.append(first)
                out.append(dict(base, version=2, message_type="AMENDMENT", filed_at_ms=c.amendment["at"]))
            else:
                out.append(base)
                if c.invalidated_at is not None:
                    out.append(dict(base, version=2, message_type="INVALIDATION", filed_at_ms=c.invalidated_at))
        out.sort(key=lambda d: (d["filed_at_ms"], d["declaration_id"], d["version"]))
        return out

    def _line(self, c: Consignment) -> dict:
        """The carrier's line for a consignment: the declared figures, the mass as the carrier
        weighed it (within 0.7%, or 1-5% off for MANIFEST_MASS_NOISE of the lines), the goods in
        the shipper's words (other words for MANIFEST_WORDING of them). Planted manifest
        mismatches keep their one difference and nothing else."""
        r = self.rng
        noisy = c.scenario != "MANIFEST_MISMATCH"
        packages = sum(g["packages"] for g in c.goods)
        if noisy and r.random() < MANIFEST_MASS_NOISE:
            factor = 1 + r.choice([-1, 1]) * r.uniform(0.01, 0.049)
        else:
            factor = r.uniform(0.993, 1.007)
        mass = sum(g["gross_mass_kg"] for g in c.goods) * factor
        mass = round(mass, 1) if mass >= 10 else round(mass, 3)
        hs6 = c.goods[0]["hs_code"][:6]
        u = r.random()
        if c.mode == "SEA":
            hs = hs6 if u < 0.55 else hs6[:4] if u < 0.9 else None
        elif c.mode == "ROAD":
            hs = hs6 if u < 0.6 else hs6[:4] if u < 0.9 else None
        else:
            hs = hs6 if u < (0.7 if c.mode == "AIR" else 0.8) else None
        if noisy and r.random() < MANIFEST_WORDING:
            desc = "; ".join(self._other_words(g) for g in c.goods)
        else:
            desc = "; ".join(g["description"] for g in c.goods)
        if c.mode == "SEA":
            desc = f"{packages} PACKAGES STC {desc.upper()}"
        line = {"master_document": c.master_document, "house_document": c.house_document,
                "consignee_name": c.consignee["name"], "description": desc, "hs_code": hs,
                "container": c.containers[0] if c.containers else None, "packages": packages,
                "gross_mass_kg": max(mass, 0.001)}
        line.update(c.line_override)
        return line

    def _other_words(self, g: dict) -> str:
        """The goods as the shipper's bill of lading puts them: another trade description of the
        HS code, or the declaration's first words only."""
        others = [x for x in D.DESCRIPTIONS.get(g["hs_code"][:6], ()) if x != g["description"]]
        if others and self.rng.random() < 0.6:
            return self.rng.choice(others)
        return g["description"].split(",")[0].split("(")[0].strip()

    def _manifests(self, cons: list) -> list:
        r = self.rng
        groups: dict = {}
        for c in cons:
            if c.invalidated_at is None:
                groups.setdefault(c.manifest_key, []).append(c)
        out = []
        for key, group in groups.items():
            c0 = group[0]
            lines, fixes = [], []
            for c in sorted(group, key=lambda c: c.house_document):
                line = self._line(c)
                if c.amendment and c.amendment["kind"] == "packages_both":
                    # the carrier first took over the shipper's first count, then corrects it
                    fixes.append((c, line))
                    line = dict(line, packages=sum(g["packages"] for g in c.amendment["v1"]["goods"]))
                lines.append(line)
            if c0.mode == "SEA":
                # deep sea: the carrier files at least 24 h before any loading on the voyage
                svc, day = c0.route, c0.day
                vessel = svc.mother(day)
                voyage = svc.voyage(day)
                v = self.sched.voyage(svc, day)
                rec = {"manifest_id": f"{svc.carrier}-{vessel.imo}-{voyage}-{svc.pol}", "carrier_id": svc.carrier,
                       "conveyance_ref": vessel.imo, "voyage": voyage, "filed_at_ms": v.manifest_at,
                       "expected_loading_ms": v.etd, "expected_arrival_ms": v.eta}
            elif c0.mode in ("AIR", "POSTAL"):
                route, dep = c0.route, c0.dep_ms
                when = datetime.fromtimestamp(dep / 1000, timezone.utc)
                icao = D.AIRLINES[route.airline][0]
                flight = route.flight_at(dep)
                trip = self.sched.trip("air", route, dep)
                rec = {"manifest_id": f"{icao}-{flight}-{when:%Y%m%d}" + ("-MAIL" if c0.mode == "POSTAL" else ""),
                       "carrier_id": icao, "conveyance_ref": flight,
                       "voyage": f"{flight}/{when:%d%b}".upper(),
                       "filed_at_ms": dep - r.randint(15, 60) * MINUTE_MS,
                       "expected_loading_ms": trip.std, "expected_arrival_ms": trip.sta}
            else:
                route, dep = c0.route, c0.dep_ms
                plate, haulier = c0.trip
                when = datetime.fromtimestamp(dep / 1000, timezone.utc)
                trip = self.sched.trip("road", route, dep)
                rec = {"manifest_id": f"{route.ferry}-{plate.replace(' ', '').replace('-', '')}-{when:%Y%m%d%H%M}",
                       "carrier_id": haulier[1], "conveyance_ref": plate,
                       "voyage": f"{route.ferry}{when:%d%m%H%M}", "filed_at_ms": dep - r.randint(30, 90) * MINUTE_MS,
                       "expected_loading_ms": trip.std, "expected_arrival_ms": trip.sta}
            rec.update({"transport_mode": c0.mode, "port_of_loading": c0.pol, "port_of_discharge": c0.pod,
                        "lines": lines})
            fields = ("manifest_id", "carrier_id", "transport_mode", "conveyance_ref", "voyage", "port_of_loading",
                      "port_of_discharge", "lines", "filed_at_ms", "expected_loading_ms", "expected_arrival_ms")
            out.append({k: rec[k] for k in fields})
            for c, line in fixes:
                # the carrier's amendment: the manifest again, with the corrected line only, after
                # both the manifest and the declaration's amendment
                at = max(rec["filed_at_ms"], c.amendment["at"]) + r.randint(10, 180) * MINUTE_MS
                out.append({k: rec[k] for k in fields} | {"lines": [line], "filed_at_ms": at})
        out.sort(key=lambda m: (m["filed_at_ms"], m["manifest_id"]))
        return out

    def _events(self, cons: list) -> tuple[list, list]:
        pairs = []
        for c in cons:
            if c.mode == "SEA" and c.invalidated_at is None:
                for _, event in self.ev.container_events(c):
                    pairs.append((from_dcsa(event), event))
        pairs.sort(key=lambda p: (p[0]["event_time_ms"], p[0]["event_id"]))
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def _controls(self, cons: list) -> list:
        r = self.rng
        out = []
        for c in cons:
            if c.control is None or not c.declared or c.invalidated_at is not None:
                continue
            arrival = self.sched.times(c).arrival  # controls at the first place of arrival
            if c.mode == "SEA":
                at = arrival + r.randint(6 * 60, 60 * 60) * MINUTE_MS
            elif c.mode == "ROAD":
                at = arrival + r.randint(30, 12 * 60) * MINUTE_MS
            else:
                at = arrival + r.randint(60, 36 * 60) * MINUTE_MS
            k = c.control
            out.append({"declaration_id": c.declaration_id, "control_type": k["type"], "finding": k["finding"],
                        "seizure_category": k["category"] if k["finding"] == "SEIZURE" else None,
                        "recovered_amount_eur": float(k["amount"]), "controlled_at_ms": at})
        out.sort(key=lambda x: (x["controlled_at_ms"], x["declaration_id"]))
        return out

    def streams(self) -> dict:
        cons = sorted(self.consignments, key=lambda c: (c.filed_at, c.house_document))
        self._assign_conveyances(cons)
        declarations = self._declarations(cons)
        manifests = self._manifests(cons)
        events, dcsa = self._events(cons)
        controls = self._controls(cons)
        return {"declarations": declarations, "manifests": manifests, "container_events": events,
                "dcsa": dcsa, "control_results": controls}

    def actual_times(self, c: Consignment) -> dict:
        t = self.sched.times(c)
        return {"mode": c.mode, "loading_ms": t.loading, "arrival_ms": t.arrival}

    def timeliness(self, instances: list) -> dict:
        """Add each instance's actual loading and arrival, in_time_by and deadline_ms (in place);
        return the actual times of every declaration, by declaration id."""
        by_id = {c.declaration_id: c for c in self.consignments if c.declared}
        by_house = {c.house_document: c for c in self.consignments if not c.declared}
        for inst in instances:
            if inst["targets"]:
                pick = max if inst["scenario"] in SHOWN_BY_THE_LAST_FILING else min
                c = pick((by_id[t] for t in inst["targets"]), key=lambda c: (c.filed_at, c.declaration_id))
            else:
                c = by_house[inst["house_documents"][0]]
            t = self.actual_times(c)
            by = IN_TIME_BY[inst["scenario"]]
            inst.update(loading_ms=t["loading_ms"], arrival_ms=t["arrival_ms"], in_time_by=by,
                        deadline_ms=t["loading_ms"] if by == "loading" else t["arrival_ms"])
        cons = sorted((c for c in self.consignments if c.declared), key=lambda c: (c.filed_at, c.declaration_id))
        return {c.declaration_id: self.actual_times(c) for c in cons}


def _sync_marker(seed: int, stream: str) -> bytes:
    """The Avro sync marker of one output file: from the seed and the stream, so that the same
    arguments give the same bytes and another seed gives other markers."""
    return hashlib.sha256(f"borderflow-generator/{seed}/{stream}".encode()).digest()[:16]


def _resolve_rates(rates: dict | None) -> dict:
    out = dict(DEFAULT_RATES)
    for code, rate in (rates or {}).items():
        if code not in out:
            raise ValueError(f"unknown scenario {code!r}; known: {', '.join(DEFAULT_RATES)}")
        rate = float(rate)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate of {code} must be within 0..1, got {rate}")
        out[code] = rate
    return out


def generate(out_dir, *, days: int = 1, seed: int = 7, declarations_per_day: int = 3000,
             rates: dict | None = None, start_ms: int | None = None, peak_day: int | None = 4,
             peak_factor: float = 1.6) -> dict:
    """Write the four input streams, the raw DCSA events and ground_truth.json into `out_dir`.

    days, declarations_per_day: volume of first filings (days * declarations_per_day, planted
    ones included; amendments and invalidations come on top).
    rates: share of filings per scenario code (missing codes keep DEFAULT_RATES; 0 disables);
    every scenario with a rate > 0 gets at least one instance.
    start_ms: start of the period (epoch ms UTC), default Monday 2026-11-02T00:00Z.
    peak_day, peak_factor: day index (0-based) whose volume is multiplied (a Black-Friday-like
    peak); ignored when the period is shorter. Returns the ground-truth dict.
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if declarations_per_day < 1:
        raise ValueError(f"declarations_per_day must be >= 1, got {declarations_per_day}")
    rates = _resolve_rates(rates)
    start = DEFAULT_START_MS if start_ms is None else int(start_ms)
    start -= start % 1000
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    world = World(load_reference(), random.Random(f"borderflow-world-{seed}"), declarations_per_day)
    rng = random.Random(f"borderflow-traffic-{seed}")
    clock = Clock(rng, start, days, peak_day if peak_day is not None and 0 <= peak_day < days else None, peak_factor)
    b = Builder(world, rng, clock, Schedule(seed))

    total = declarations_per_day * days
    instances = []
    for code, fn in SCENARIOS.items():
        rate = rates[code]
        n = max(1, round(rate * total)) if rate > 0 else 0
        for i in range(n):
            inst = fn(b)
            instances.append({"id": f"{code}-{i + 1:04d}", **inst})
    planted = sum(1 for c in b.consignments if c.declared)
    remaining = total - planted
    while remaining > 0:
        remaining -= b.honest(clock.sample(), room=remaining)

    s = b.streams()
    declarations = b.timeliness(instances)
    for stream, schema in (("declarations", "Declaration"), ("manifests", "Manifest"),
                           ("container_events", "ContainerEvent"), ("control_results", "ControlResult")):
        write_avro_file(out / f"{stream}.avro", schema, s[stream], sync_marker=_sync_marker(seed, stream))
    with open(out / "container_events.dcsa.jsonl", "w", encoding="utf-8") as fh:
        for event in s["dcsa"]:
            fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")

    truth = {
        "seed": seed, "days": days, "start_ms": start, "declarations_per_day": declarations_per_day,
        "rates": rates,
        "instances": instances,
        "declarations": declarations,
        "counts": {"declarations": len(s["declarations"]), "manifests": len(s["manifests"]),
                   "container_events": len(s["container_events"]), "control_results": len(s["control_results"])},
        "fx_to_eur": dict(D.FX_TO_EUR),
    }
    with open(out / "ground_truth.json", "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return truth
