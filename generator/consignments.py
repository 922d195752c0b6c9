"""Consignments: one shipment from its filing to its arrival, and how it is turned into
declarations, manifest lines, container events and control results.

A `Consignment` holds the truth about one shipment (the final, correct data) plus what a planted
scenario or an honest correction changes in what the streams show: the first version of an amended
filing, a manifest line that disagrees, container events that deviate, or none at all.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from generator import data as D
from generator.schedule import Schedule
from generator.world import DAY_MS, HOUR_MS, AltRoute, Forwarder, Lane, World
from transforms.parties import name_similarity

MINUTE_MS = 60_000
SEA_LEAD_MIN = (24 * 60, 96 * 60)  # sea: minutes from the filing to the scheduled LOAD (ICS2: 24 h at least)
AIR_LEAD_MIN_MS = HOUR_MS  # air and post: the flight at least an hour after the filing (two rotations a day)
ROAD_LEAD_MIN_MS = 3 * HOUR_MS  # road: the ferry at least 3 hours after the filing


@dataclass
class Consignment:
    mode: str
    consignor: dict
    consignee: dict
    pol: str
    pod: str
    itinerary: tuple
    route: object
    goods: list
    filed_at: int
    declarant_id: str
    forwarder: Forwarder | None
    notify: dict | None
    declaration_id: str
    house_document: str
    master_document: str | None = None
    conveyance_ref: str | None = None
    containers: list = field(default_factory=list)
    seals: list = field(default_factory=list)
    iso_type: str | None = None
    carrier: str | None = None
    booking: str | None = None
    load_ms: int | None = None  # sea: scheduled LOAD at the place of loading (the actual one: + the voyage's slip)
    day: int | None = None  # sea: voyage day (epoch day of the scheduled LOAD)
    dep_ms: int | None = None  # air / post: scheduled flight departure; road: scheduled ferry sailing
    declared: bool = True  # False: a manifest line with no declaration
    scenario: str | None = None
    amendment: dict | None = None  # {"at": ms, "v1": {field: value as first filed}}
    invalidated_at: int | None = None
    line_override: dict = field(default_factory=dict)
    events: dict = field(default_factory=lambda: {"kind": "normal"})
    owns_events: bool = True  # False: the container's events are generated for another consignment
    control: dict | None = None
    trip: tuple | None = None  # road: (plate, haulier)

    @property
    def manifest_key(self) -> tuple:
        if self.mode == "SEA":
            return ("SEA", self.route.key, self.day)
        if self.mode == "ROAD":
            return ("ROAD", self.route.key, self.dep_ms, self.trip[0])
        return (self.mode, self.route.key, self.dep_ms)


def clip_ratio(rng: random.Random, sigma: float = 0.25) -> float:
    """Honest price ratio to the norm: log-normal, kept inside [0.6, 1.7]."""
    return min(1.7, max(0.6, rng.lognormvariate(0.0, sigma)))


def loguniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


class Factory:
    """Builds honest consignments on a lane; planted scenarios start from the same builder."""

    def __init__(self, world: World, rng: random.Random, start_ms: int, schedule: Schedule | None = None):
        self.w = world
        self.rng = rng
        self.ref = world.ref
        self.sched = schedule if schedule is not None else Schedule(0)
        self.yy = datetime.fromtimestamp(start_ms / 1000, timezone.utc).year % 100

    # -- goods ------------------------------------------------------------------------------------
    def hs_code(self, hs6: str) -> str:
        r = self.rng.random()
        if r < 0.75:
            return hs6
        return hs6 + self.rng.choice(["00", "10", "20", "80", "90"])

    def goods_item(self, hs6: str, mass_target: float, mode: str, origin: str, currency: str,
                   description: str | None = None, ratio: float | None = None, hs_code: str | None = None,
                   size_q: float | None = None) -> dict:
        r = self.rng
        info = self.ref.hs[hs6]
        lo, hi = info.kg_per_package_min, info.kg_per_package_max
        if mode == "POSTAL":
            packages = 1
            gross = round(self.scaled(max(0.1, lo * 1.05), min(2.0, hi * 0.95), size_q), 3)
        else:
            kpp = loguniform(r, lo * 1.1, hi * 0.9)
            packages = max(1, round(mass_target / kpp))
            gross = packages * kpp
            gross = round(gross, 1) if gross >= 100 else round(gross, 2)
        ratio = clip_ratio(r) if ratio is None else ratio
        value_eur = info.unit_value_eur_per_kg * gross * ratio
        value = round(value_eur / D.FX_TO_EUR[currency], 2)
        return {"hs_code": hs_code or self.hs_code(hs6),
                "description": description or r.choice(D.DESCRIPTIONS[hs6]),
                "packages": packages, "gross_mass_kg": gross, "value": value, "currency": currency,
                "origin_country": origin}

    def scaled(self, lo: float, hi: float, q: float | None) -> float:
        """A size in [lo, hi] (log scale) near the lane's usual quantile q (uniform when q is None)."""
        q = self.rng.random() if q is None else min(1.0, max(0.0, self.rng.gauss(q, 0.08)))
        return math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * q)

    def mass_target(self, mode: str, hs6: str, q: float | None = None) -> float:
        if mode == "SEA":
            lo, hi, _ = D.FCL.get(hs6, (4000, 12000, "45G1"))
            return self.scaled(lo, hi, q)
        if mode == "AIR":
            return self.scaled(20, 1500, q)
        if mode == "ROAD":
            return self.scaled(800, 16000, q)
        return 1.0

    def goods(self, lane: Lane, mode: str, hs_choices: list | None = None) -> list:
        r = self.rng
        hs_list = hs_choices or lane.hs
        origin = lane.origin
        if origin == "HK" and r.random() < 0.7:
            origin = "CN"
        q = lane.size_q
        if mode != "POSTAL" and len(hs_list) >= 2 and r.random() < 0.1:
            first, second = r.sample(hs_list, 2)
            total = self.mass_target(mode, first, q)
            return [self.goods_item(first, total * 0.6, mode, origin, lane.currency),
                    self.goods_item(second, total * 0.4, mode, origin, lane.currency)]
        hs6 = r.choice(hs_list)
        return [self.goods_item(hs6, self.mass_target(mode, hs6, q), mode, origin, lane.currency, size_q=q)]

    # -- one consignment ----------------------------------------------------------------------------
    def consignment(self, consignor: dict, lane: Lane, filed_at: int, *, consignee: dict | None = None,
                    importer=None, goods: list | None = None, via: AltRoute | None = None) -> Consignment:
        """An honest consignment on `lane`, filed at `filed_at` (ms); `via`: the lane's second port
        of loading instead of its own."""
        r, w = self.rng, self.w
        mode = lane.mode
        pol, itinerary, route = (via.pol, via.itinerary, via.route) if via else (lane.pol, lane.itinerary, lane.route)
        if importer is None and consignee is None and lane.consignees:
            importer = r.choices(lane.consignees, [i.weight for i in lane.consignees])[0]
        fwd = importer.forwarder if importer is not None else None
        if consignee is None:
            consignee = importer.party if importer is not None else w.person(w.eu_country(
                [c for c, _ in D.EU_COUNTRY_WEIGHTS.items()]))
        if goods is None:
            goods = self.goods(lane, mode)
        notify = None
        if mode == "POSTAL":
            declarant = w.postal_operators.get(lane.pod[:2]) or next(iter(w.postal_operators.values()))
            declarant_country = declarant[:2]
            house = w.postal_item(pol[:2])
        else:
            if fwd is not None:
                declarant, declarant_country = fwd.party["eori"], fwd.country
            elif consignee.get("eori"):
                declarant, declarant_country = consignee["eori"], consignee["country"]
            else:
                fwd = r.choice(w.forwarders)
                declarant, declarant_country = fwd.party["eori"], fwd.country
            if mode in ("SEA", "AIR") and r.random() < (0.35 if mode == "SEA" else 0.15):
                notify = dict(fwd.party) if fwd is not None else dict(consignee)
            if mode == "SEA":
                house = None  # below, with the carrier
            elif mode == "AIR":
                house = w.house_awb(fwd)
            else:
                house = w.cmr(pol[:2], self.yy)
        c = Consignment(mode=mode, consignor=consignor, consignee=consignee, pol=pol, pod=lane.pod,
                        itinerary=tuple(itinerary), route=route, goods=goods, filed_at=filed_at,
                        declarant_id=declarant, forwarder=fwd, notify=notify,
                        declaration_id=w.lrn(declarant_country, self.yy), house_document=house or "")
        if mode == "SEA":
            svc = route
            c.carrier = svc.carrier
            c.master_document = w.master_bill(svc.carrier)
            c.house_document = w.house_bill(fwd, self.yy) if fwd is not None and r.random() < 0.8 else c.master_document
            c.booking = w.booking(svc.carrier)
            c.containers = [w.container(svc.carrier)]
            c.seals = [w.seal(svc.carrier)]
            c.iso_type = D.FCL.get(goods[0]["hs_code"][:6], (0, 0, "45G1"))[2]
            # ICS2 deep sea: filed at least 24 h before loading, typically 1-4 days
            next_minute = filed_at - filed_at % MINUTE_MS + MINUTE_MS
            self.set_load(c, next_minute + r.randint(SEA_LEAD_MIN[0], SEA_LEAD_MIN[1] - 1) * MINUTE_MS)
        elif mode in ("AIR", "POSTAL"):
            # the pre-loading filing (PLACI): the next rotation at least an hour away (1-13 h)
            c.dep_ms = route.departure(filed_at + AIR_LEAD_MIN_MS)
            c.conveyance_ref = route.flight_at(c.dep_ms)
        else:
            c.dep_ms = route.sailing(filed_at + ROAD_LEAD_MIN_MS)
        return c

    def set_load(self, c: Consignment, load_ms: int) -> None:
        load_ms -= load_ms % MINUTE_MS
        c.load_ms = load_ms
        c.day = load_ms // DAY_MS
        c.conveyance_ref = c.route.mother(c.day).imo

    def load_before(self, c: Consignment, latest_ms: int) -> None:
        """Schedule the container's LOAD so that the actual one (the voyage may slip) is at or
        before latest_ms."""
        load = latest_ms
        for _ in range(60):
            self.set_load(c, load)
            actual = self.sched.sea_load_actual(c.route, c.load_ms)
            if actual <= latest_ms:
                return
            load -= actual - latest_ms
        raise AssertionError("no voyage without a slip found")  # 0.8 ** 60: never

    # -- honest corrections ---------------------------------------------------------------------------
    def amend(self, c: Consignment) -> None:
        """The first filing had an error; a full corrected version follows within hours.

        "packages_both": the shipper's first packing list had another count, and the carrier took
        it over too: the declaration and the first manifest line both show it, and both are
        corrected (the carrier's manifest amendment: traffic.Builder._manifests)."""
        r = self.rng
        # within hours, and an hour before the arrival at the latest (a short crossing)
        latest = max(10, min(6 * 60, (self.sched.times(c).expected_arrival - c.filed_at) // MINUTE_MS - 60))
        at = c.filed_at + r.randint(min(45, latest), latest) * MINUTE_MS
        kind = r.choices(["packages", "packages_both", "mass", "description", "address"], [3, 1, 3, 1.5, 1.5])[0]
        first = [dict(g) for g in c.goods]
        v1: dict = {}
        if kind in ("packages", "packages_both") and first[0]["packages"] >= 2:
            p = first[0]["packages"]
            step = max(1, round(p * r.uniform(0.05, 0.2)))
            wrong = p * 10 if kind == "packages" and r.random() < 0.3 else max(1, p + r.choice([-1, 1]) * step)
            if wrong != p:
                first[0]["packages"] = wrong
                v1["goods"] = first
        elif kind == "mass":
            mass = first[0]["gross_mass_kg"]
            first[0]["gross_mass_kg"] = round(mass * r.uniform(0.9, 0.97), 1 if mass >= 10 else 3) or mass
            v1["goods"] = first
        elif kind == "description":
            first[0]["description"] = first[0]["description"].split(",")[0].split("(")[0].strip()
            if first[0]["description"] != c.goods[0]["description"]:
                v1["goods"] = first
        if not v1:
            consignee = dict(c.consignee)
            consignee["address"] = None
            v1["consignee"] = consignee
        c.amendment = {"at": at, "v1": v1, "kind": kind if "goods" in v1 else "address"}

    def reroute(self, c: Consignment) -> None:
        """A planned routing change (the carrier adds a transshipment port to the service): the
        declarant amends the itinerary within hours of the filing, a day or more before the
        container is loaded, and the container then moves via that port. The ports are those a
        planted ROUTE_DEVIATION uses; here the amended declaration names the port's country."""
        r = self.rng
        cc = c.pol[:2]
        region = "asia" if cc in D.ASIA else "americas" if cc in D.AMERICAS else "other"
        allowed = set(c.itinerary) | {c.pol[:2], c.pod[:2]}
        ports = [p for p in dict.fromkeys(D.DEVIATION_PORTS[region] + D.DEVIATION_PORTS["other"])
                 if self.ref.country_of(p) not in allowed]
        port = r.choice(ports)
        if c.load_ms - c.filed_at < 31 * HOUR_MS:  # the next voyage: the amendment a day before loading
            self.set_load(c, c.load_ms + DAY_MS)
        latest = min(6 * 60, (c.load_ms - c.filed_at - 24 * HOUR_MS) // MINUTE_MS)
        c.amendment = {"at": c.filed_at + r.randint(45, latest) * MINUTE_MS, "v1": {"itinerary": list(c.itinerary)},
                       "kind": "itinerary"}
        c.itinerary = c.itinerary[:-1] + (self.ref.country_of(port),) + c.itinerary[-1:]
        c.events = {"kind": "deviation", "port": port}

    # -- honest near misses ---------------------------------------------------------------------------
    def reprice(self, g: dict, ratio: float) -> None:
        """Price a goods item at `ratio` x the norm of its HS code (a discount or a premium)."""
        info = self.ref.hs[g["hs_code"][:6]]
        g["value"] = round(info.unit_value_eur_per_kg * g["gross_mass_kg"] * ratio / D.FX_TO_EUR[g["currency"]], 2)

    def last_minute(self, c: Consignment, end_ms: int) -> None:
        """Air or road filed 30-90 minutes before the flight or the ferry instead of hours: late,
        but before loading. Kept as it is if that would move the filing out of the period."""
        r = self.rng
        after = c.filed_at + 30 * MINUTE_MS
        dep = c.route.departure(after) if c.mode == "AIR" else c.route.sailing(after)
        filed = max(c.filed_at, dep - r.randint(30, 90) * MINUTE_MS)
        if filed < end_ms:
            c.filed_at, c.dep_ms = filed, dep
            if c.mode == "AIR":
                c.conveyance_ref = c.route.flight_at(dep)

    def name_variant(self, party: dict) -> dict:
        """The same trader as another filer writes it: a typo, the legal form spelt otherwise or
        left out, upper case, or punctuation dropped. Stays close to the registered name
        (similarity at least 92 after normalisation) and as far from the watch list."""
        r = self.rng
        name = party["name"]
        words = name.split()
        form = next((f for f in sorted(D.LEGAL_FORMS.get(party["country"], ["Ltd"]), key=len, reverse=True)
                     if name.endswith(" " + f)), None)
        core = name[: -len(form) - 1] if form else name
        for _ in range(10):
            how = r.choice(["typo", "legal form", "case", "punctuation"])
            if how == "typo":
                long_words = [i for i, x in enumerate(core.split()) if len(x) >= 6 and x.isalpha()]
                if not long_words:
                    continue
                cw = core.split()
                i = r.choice(long_words)
                x = cw[i]
                j = r.randrange(1, len(x) - 1)
                op = r.choice(["swap", "drop", "double"])
                x2 = (x[:j] + x[j + 1] + x[j] + x[j + 2:] if op == "swap" else x[:j] + x[j + 1:] if op == "drop"
                      else x[:j] + x[j] + x[j:])
                cw[i] = x2
                v = " ".join(cw) + (f" {form}" if form else "")
            elif how == "legal form":
                if not form:
                    continue
                v = r.choice([core, f"{core} {form.upper()}", f"{core} {form.replace('.', '').replace(',', '')}"])
            elif how == "case":
                v = name.upper()
            else:
                v = " ".join(w.replace(".", "").replace(",", "") for w in words)
            if v != name and name_similarity(v, name) >= 92 and self.w.guard.ok(v):
                return dict(party, name=v)
        return dict(party, name=name.upper())

    def consolidate(self, c: Consignment, consignor: dict, lane: Lane, end_ms: int) -> Consignment | None:
        """Buyer's consolidation: more goods for the same consignee in the same container (the same
        supplier's second order, or a supplier loading at the same port), under their own house
        bill and the consignment's master bill, filed within 4 hours after it. Their container
        events are the consignment's (owns_events False)."""
        r, w = self.rng, self.w
        hi = min(c.filed_at + 4 * HOUR_MS, c.load_ms - 24 * HOUR_MS, end_ms - 1000)
        if hi < c.filed_at:
            return None
        t = r.randint(c.filed_at // 1000, hi // 1000) * 1000
        hs6 = r.choice(lane.hs)
        goods = [self.goods_item(hs6, self.mass_target("SEA", hs6, lane.size_q) * r.uniform(0.2, 0.5), "SEA",
                                 lane.origin, lane.currency)]
        same_box = replace(lane, pol=c.pol, pod=c.pod, itinerary=c.itinerary, route=c.route, consignees=[], alt=None)
        p = self.consignment(consignor, same_box, t, consignee=c.consignee, goods=goods)
        p.forwarder, p.declarant_id, p.notify = c.forwarder, c.declarant_id, c.notify
        p.containers, p.seals, p.iso_type = list(c.containers), list(c.seals), c.iso_type
        p.carrier, p.booking, p.master_document = c.carrier, c.booking, c.master_document
        if c.house_document == c.master_document:
            c.house_document = w.house_bill(c.forwarder, self.yy)
        p.house_document = w.house_bill(c.forwarder, self.yy)
        self.set_load(p, c.load_ms)
        p.owns_events = False
        return p

    def invalidate(self, c: Consignment) -> None:
        r = self.rng
        if c.mode == "SEA":
            latest = c.load_ms - 4 * HOUR_MS
        else:
            latest = c.dep_ms - HOUR_MS
        c.invalidated_at = min(latest, c.filed_at + r.randint(30, 18 * 60) * MINUTE_MS)
        c.invalidated_at = max(c.invalidated_at, c.filed_at + 10 * MINUTE_MS)
