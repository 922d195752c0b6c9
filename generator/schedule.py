"""Conveyance schedules: when a vessel, a flight or a ferry is expected to leave and arrive, and
when it actually does (delays only, never early).

Every time here is a pure function of the seed and the conveyance (a sea service and its loading
day, a flight and its departure, a ferry crossing and its sailing): each is drawn from its own
random.Random seeded with a string of those, so that a planted scenario can ask for the actual
times while it is being built, the streams get the same answer later, and the draw order of the
traffic does not matter.

Sea (deep sea, containerised), one voyage per service and loading day d:

    scheduled departure (ETD) from the port of loading   (d + 1) 00:00 + 0..3 h
    hub arrival / departure (services with a hub)        ETD + a share of the sea time / + 1..4 days dwell
    scheduled arrival (ETA) at the place of unloading    ETD + the service's transit time
    transit time by region of the port of loading        Asia 20-40 days, Middle East 14-24,
                                                         Americas and Africa 12-28, Mediterranean
                                                         and Baltic short sea 3-9
    slip (SLIP_SHARE of the voyages)                     loading +6 h..3 days, arrival +6 h..3 days

Air and post: flight time 8-14 h direct, 14-30 h with a transfer at a hub; FLIGHT_DELAY_SHARE of
the flights leave and arrive 30 min..6 h late. Road: the Ro-Ro crossing of the route (GB 7-14 h,
Morocco 1.5-3 h, Tunisia 20-26 h, Turkey 30-48 h); ROAD_DELAY_SHARE of the sailings 30 min..4 h
late.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from generator import data as D
from generator.world import DAY_MS, HOUR_MS

MINUTE_MS = 60_000

SLIP_SHARE = 0.2  # of sea voyages: loading and arrival later than scheduled
SLIP_MIN_MS, SLIP_MAX_MS = 6 * HOUR_MS, 3 * DAY_MS
FLIGHT_DELAY_SHARE = 0.1
FLIGHT_DELAY_MS = (30 * MINUTE_MS, 6 * HOUR_MS)
ROAD_DELAY_SHARE = 0.1
ROAD_DELAY_MS = (30 * MINUTE_MS, 4 * HOUR_MS)

# Sea transit (scheduled departure to scheduled arrival, hub dwell included), days, by region.
MIDDLE_EAST = {"AE", "OM", "SA", "IR", "YE", "QA", "KW", "BH", "IQ", "JO", "DJ"}
FAR_SOUTH = {"ZA", "KE", "TZ", "MZ", "NG", "GH", "CI", "SN", "AO", "PA", "JM", "DO"}
SEA_TRANSIT_DAYS = {"asia": (20, 40), "middle_east": (14, 24), "long": (12, 28), "short": (3, 9)}
# Where a hub lies on the way: share of the sea time before it (Port Said and Tanger Med are near
# Europe, Singapore and Tanjung Pelepas near the Far East).
HUB_POSITION = {"EGPSD": (0.6, 0.75), "MAPTM": (0.6, 0.8), "LKCMB": (0.25, 0.4), "AEJEA": (0.15, 0.3),
                "OMSLL": (0.15, 0.3), "SGSIN": (0.12, 0.25), "MYTPP": (0.12, 0.25), "PAMIT": (0.15, 0.3),
                "JMKIN": (0.15, 0.3)}
AIR_DIRECT_H, AIR_VIA_HUB_H = (8, 14), (14, 30)
ROAD_CROSSING_H = {"GB": (7, 14), "MA": (1.5, 3), "TN": (20, 26), "TR": (30, 48)}


def sea_region(country: str) -> str:
    if country in D.ASIA or country in ("MM", "SG", "LK", "PH", "KP"):
        return "asia"
    if country in MIDDLE_EAST:
        return "middle_east"
    if country in D.AMERICAS or country in FAR_SOUTH:
        return "long"
    return "short"


@dataclass(frozen=True)
class Voyage:
    """One sea voyage (service, loading day): scheduled and actual times, epoch ms."""

    etd: int  # scheduled departure from the port of loading
    eta: int  # scheduled arrival at the place of unloading
    slip_load: int  # actual loading and departure = scheduled + slip_load
    slip_arr: int  # actual arrival = eta + slip_arr
    atd: int  # actual departure from the port of loading
    ata: int  # actual arrival at the place of unloading
    hub_arr: int | None  # actual arrival at the hub (services with a hub)
    hub_dep: int | None  # actual departure from the hub
    manifest_at: int  # the carrier's manifest (at least a day before any loading on the voyage)


@dataclass(frozen=True)
class Trip:
    """A flight or a ferry sailing: scheduled and actual departure and arrival, epoch ms."""

    std: int
    sta: int
    atd: int
    ata: int


@dataclass(frozen=True)
class Times:
    """A consignment's expected (as filed) and actual loading and arrival, epoch ms."""

    expected_loading: int
    expected_arrival: int
    loading: int
    arrival: int


class Schedule:
    def __init__(self, seed: int):
        self.seed = seed
        self._services: dict = {}
        self._voyages: dict = {}
        self._routes: dict = {}
        self._trips: dict = {}

    def _rng(self, *key) -> random.Random:
        return random.Random(f"borderflow-schedule-{self.seed}/" + "/".join(str(k) for k in key))

    # -- sea --------------------------------------------------------------------------------------
    def service(self, svc) -> dict:
        """The service's scheduled legs (the same for every voyage): ms."""
        s = self._services.get(svc.key)
        if s is None:
            r = self._rng("service", svc.key)
            lo, hi = SEA_TRANSIT_DAYS[sea_region(svc.pol[:2])]
            total = r.randint(lo * 24 * 60, hi * 24 * 60) * MINUTE_MS
            if svc.hub:
                dwell = r.randint(24 * 60, 4 * 24 * 60) * MINUTE_MS
                dwell = min(dwell, total // 3)
                sea = total - dwell
                share = r.uniform(*HUB_POSITION.get(svc.hub, (0.15, 0.4)))
                first = max(DAY_MS // 2, round(sea * share / MINUTE_MS) * MINUTE_MS)
                s = {"total": total, "first_leg": first, "dwell": dwell}
            else:
                s = {"total": total, "first_leg": None, "dwell": None}
            self._services[svc.key] = s
        return s

    def voyage(self, svc, day: int) -> Voyage:
        key = (svc.key, day)
        v = self._voyages.get(key)
        if v is None:
            r = self._rng("voyage", svc.key, day)
            s = self.service(svc)
            etd = (day + 1) * DAY_MS + r.randint(0, 180) * MINUTE_MS
            eta = etd + s["total"]
            slip_load = slip_arr = 0
            if r.random() < SLIP_SHARE:
                slip_load = r.randint(SLIP_MIN_MS // MINUTE_MS, SLIP_MAX_MS // MINUTE_MS) * MINUTE_MS
                slip_arr = slip_load + r.randint(-6 * 60, 12 * 60) * MINUTE_MS
                slip_arr = min(SLIP_MAX_MS, max(SLIP_MIN_MS, slip_arr))
            atd, ata = etd + slip_load, eta + slip_arr
            hub_arr = hub_dep = None
            if svc.hub:
                hub_arr = atd + s["first_leg"]
                hub_dep = hub_arr + s["dwell"]
            manifest_at = day * DAY_MS - r.randint(26 * 60, 44 * 60) * MINUTE_MS
            v = Voyage(etd, eta, slip_load, slip_arr, atd, ata, hub_arr, hub_dep, manifest_at)
            self._voyages[key] = v
        return v

    # -- air, post and road ---------------------------------------------------------------------------
    def _block(self, kind: str, route) -> int:
        key = (kind, route.key)
        ms = self._routes.get(key)
        if ms is None:
            r = self._rng(kind, route.key)
            if kind == "air":
                lo, hi = AIR_VIA_HUB_H if route.hub_country else AIR_DIRECT_H
            else:
                lo, hi = ROAD_CROSSING_H.get(route.pol[:2], (6, 30))
            ms = r.randint(round(lo * 60), round(hi * 60)) * MINUTE_MS
            self._routes[key] = ms
        return ms

    def trip(self, kind: str, route, std: int) -> Trip:
        """A flight (kind "air") or a ferry sailing ("road") scheduled to leave at std."""
        key = (kind, route.key, std)
        t = self._trips.get(key)
        if t is None:
            r = self._rng("trip", kind, route.key, std)
            share, (lo, hi) = (FLIGHT_DELAY_SHARE, FLIGHT_DELAY_MS) if kind == "air" else (ROAD_DELAY_SHARE,
                                                                                           ROAD_DELAY_MS)
            delay = r.randint(lo // MINUTE_MS, hi // MINUTE_MS) * MINUTE_MS if r.random() < share else 0
            sta = std + self._block(kind, route)
            t = Trip(std, sta, std + delay, sta + delay)
            self._trips[key] = t
        return t

    # -- one consignment --------------------------------------------------------------------------
    def times(self, c) -> Times:
        """Expected (as filed: the schedule) and actual loading and arrival of a consignment."""
        if c.mode == "SEA":
            v = self.voyage(c.route, c.day)
            return Times(c.load_ms, v.eta, c.load_ms + v.slip_load, v.ata)
        t = self.trip("road" if c.mode == "ROAD" else "air", c.route, c.dep_ms)
        return Times(t.std, t.sta, t.atd, t.ata)

    def sea_load_actual(self, svc, load_ms: int) -> int:
        """The actual LOAD of a container scheduled to be loaded at load_ms."""
        return load_ms + self.voyage(svc, load_ms // DAY_MS).slip_load
