"""The generated world: traders (consignors abroad, consignees in the EU, forwarders), their
lanes, and the conveyances that serve them (sea services with vessels, flights, Ro-Ro crossings).

Everything is drawn from one `random.Random`, in a fixed order, so a seed gives the same world.
Identifiers (EORIs, IMO numbers, container numbers, transport documents) follow the real formats
and check digits; every UN/LOCODE comes from the reference port list.
"""
from __future__ import annotations

import itertools
import random
import re
import string
import uuid
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from generator import data as D
from transforms.codes import make_container_number
from transforms.parties import normalise_name
from transforms.reference import ReferenceData

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# Namespace for deterministic ids (uuid5 of a string): DCSA transport calls.
ID_NAMESPACE = uuid.UUID("6f1d7c62-3b7e-5a52-9a43-1c2f8d0b7e11")
# Trader names: tries from the country's name words, then tries per length of a coined mark.
NAME_WORD_TRIES = 90
COINED_TRIES = 30
# Consignors' volume weights are Pareto, capped: uncapped, one trader took up to 87% of a mode's
# filings for some seeds; capped, the largest sea consignor has about 2% of the sea filings.
TRADER_WEIGHT_CAP = 25.0
# Big traders (volume weight at least this, about the largest quarter) and the share of their sea
# lanes that also load at a second port of the country for one of the lane's consignees.
BIG_TRADER_WEIGHT = 3.0
SECOND_PORT_SHARE = 0.03


# --------------------------------------------------------------------------------------------
# Check digits of public identifier formats.
def imo_check_digit(six: str) -> int:
    """IMO ship number: the first six digits weighted 7..2, the sum's last digit."""
    return sum(int(c) * w for c, w in zip(six, range(7, 1, -1))) % 10


def is_valid_imo(imo: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{7}", imo or "")) and imo_check_digit(imo[:6]) == int(imo[6])


def s10_check_digit(serial8: str) -> int:
    """UPU S10 postal item identifier check digit over the 8-digit serial."""
    s = sum(int(c) * w for c, w in zip(serial8, (8, 6, 4, 2, 3, 5, 9, 7)))
    c = 11 - s % 11
    return 0 if c == 10 else 5 if c == 11 else c


def awb_number(prefix: str, serial7: int) -> str:
    """Air waybill number: airline prefix, 7-digit serial and its mod-7 check digit."""
    return f"{prefix}-{serial7:07d}{serial7 % 7}"


# --------------------------------------------------------------------------------------------
_LEGAL = {"llc", "ltd", "limited", "co", "company", "corp", "inc", "fze", "ooo", "sa", "gmbh", "bv", "nv",
          "sas", "sarl", "srl", "spa", "sl", "ag", "kg", "ab", "as", "aps", "oy", "oyj", "kft", "zrt", "sro",
          "lda", "ltda", "pvt", "private", "pty", "plc", "kk", "est", "sae", "sac", "spzoo", "sp", "z", "o",
          "tic", "san", "ve", "sdn", "bhd", "tbk", "dac", "cia", "de", "cv", "public", "and", "the", "of"}


def _norm_words(name: str) -> list[str]:
    words = re.split(r"[\W_]+", re.sub(r"[.']", "", name.casefold()))
    return [w for w in words if w and w not in _LEGAL]


class WatchGuard:
    """Keeps honest names away from the watch list: no shared word, low fuzzy similarity."""

    def __init__(self, watchlist):
        self.names = [" ".join(sorted(_norm_words(e.name))) for e in watchlist]
        self.words = {w for e in watchlist for w in _norm_words(e.name)}

    def ok(self, name: str) -> bool:
        words = _norm_words(name)
        if any(w in self.words for w in words):
            return False
        norm = " ".join(sorted(words))
        return all(fuzz.token_sort_ratio(norm, n) < 60 for n in self.names)


# --------------------------------------------------------------------------------------------
@dataclass
class Forwarder:
    party: dict
    code: str  # 4-letter house-bill prefix
    country: str


@dataclass
class Importer:
    party: dict
    country: str
    sector: str
    forwarder: Forwarder | None  # None: files its own declarations
    weight: float


@dataclass
class Vessel:
    imo: str
    name: str
    flag: str
    carrier: str


@dataclass
class SeaService:
    key: tuple
    carrier: str
    code: str
    pol: str
    hub: str | None
    pod: str
    feeders: list
    mothers: list
    direction: str

    def mother(self, day: int) -> Vessel:
        return self.mothers[day % len(self.mothers)]

    def feeder(self, day: int) -> Vessel:
        return self.feeders[day % len(self.feeders)] if self.feeders else self.mother(day)

    def voyage(self, day: int) -> str:
        # carrier voyage number: vessel-independent day counter + direction (e.g. "1406W")
        return f"{day % 10000:04d}{self.direction}"

    def feeder_voyage(self, day: int) -> str:
        return f"F{day % 10000:04d}{self.direction}"


@dataclass
class AirRoute:
    key: tuple
    pol: str
    hub_country: str | None
    pod: str
    airline: str
    flight: str
    dep_minute: int  # minute of the UTC day the flight leaves
    postal: bool
    flight2: str | None = None  # the second daily rotation, 12 hours after the first

    def departure(self, after_ms: int) -> int:
        """The first scheduled departure (of either daily rotation) at or after after_ms."""
        day = after_ms // DAY_MS
        minutes = [self.dep_minute] + ([(self.dep_minute + 720) % 1440] if self.flight2 else [])
        times = [d * DAY_MS + m * 60_000 for d in (day, day + 1) for m in minutes]
        return min(t for t in times if t >= after_ms)

    def flight_at(self, dep_ms: int) -> str:
        """The flight number of the rotation that leaves at dep_ms."""
        if self.flight2 is None or (dep_ms % DAY_MS) // 60_000 == self.dep_minute:
            return self.flight
        return self.flight2


@dataclass
class RoadRoute:
    key: tuple
    pol: str
    pod: str
    ferry: str
    sailings: list  # minutes of the UTC day
    hauliers: list  # (name, eori, plate country)

    def sailing(self, after_ms: int) -> int:
        day = after_ms // DAY_MS
        for d in (day, day + 1):
            for m in self.sailings:
                t = d * DAY_MS + m * 60_000
                if t >= after_ms:
                    return t
        raise AssertionError("unreachable")


@dataclass
class Lane:
    """One consignor's regular route: where it loads, how the goods travel, what and to whom."""

    mode: str
    pol: str
    pod: str
    itinerary: tuple
    route: object  # SeaService | AirRoute | RoadRoute
    hs: list
    consignees: list  # Importer (empty for postal: private persons)
    origin: str
    currency: str
    weight: float
    sector: str
    size_q: float = 0.5  # where this lane's shipments sit in the mode's size range (0..1)
    alt: "AltRoute | None" = None  # a second port of loading, for one of the usual consignees


@dataclass
class AltRoute:
    """A big sea trader's second port of loading: same goods, same consignee, another route."""

    pol: str
    itinerary: tuple
    route: object  # SeaService
    importer: object  # Importer: the one consignee that gets goods this way
    share: float  # of that consignee's consignments on the lane


@dataclass
class Consignor:
    party: dict
    country: str
    lanes: list = field(default_factory=list)
    weight: float = 1.0


# --------------------------------------------------------------------------------------------
class World:
    """Traders, lanes and conveyances, built once per seed."""

    def __init__(self, reference: ReferenceData, rng: random.Random, declarations_per_day: int):
        self.ref = reference
        self.rng = rng
        self.guard = WatchGuard(reference.watchlist)
        self._used_ids: set = set()
        self._used_names: set = set()
        self._name_level: dict = {}  # (country, sector, importer) -> first attempt (crowded)
        self._used_containers: set = set()
        self.sea_services: dict = {}
        self._sea_net: dict = {}
        self._air_net: dict = {}
        self.air_routes: dict = {}
        self.road_routes: dict = {}
        self._vessel_names: set = set()
        self.importers: dict[tuple, list] = {}  # (country, sector) -> [Importer]
        self.forwarders: list[Forwarder] = [self._new_forwarder() for _ in range(40)]
        self.postal_operators = {c: self.eori(c) for c in ("NL", "DE", "ES", "IT")}
        n = max(1, declarations_per_day)
        self.consignors = {
            "SEA_AIR": [self._new_seaair_consignor() for _ in range(max(40, round(n * 0.16)))],
            "ROAD": [self._new_road_consignor() for _ in range(max(10, round(n * 0.02)))],
            "POSTAL": [self._new_postal_consignor() for _ in range(max(8, round(n * 0.012)))],
        }
        self._second_ports()
        self.lanes_by_mode: dict[str, list[Lane]] = {"SEA": [], "AIR": [], "ROAD": [], "POSTAL": []}
        for group in ("SEA_AIR", "ROAD", "POSTAL"):
            for c in self.consignors[group]:
                for lane in c.lanes:
                    self.lanes_by_mode[lane.mode].append((c, lane))
        self.lane_weights = {m: [c.weight * lane.weight for c, lane in v] for m, v in self.lanes_by_mode.items()}
        self.persons: list = []

    # -- small helpers ----------------------------------------------------------------------------
    def unlocode_name(self, code: str) -> str:
        return self.ref.ports[code].name

    def _pattern(self, pattern: str) -> str:
        r = self.rng
        return "".join(r.choice(string.digits) if ch == "#" else r.choice(string.ascii_uppercase) if ch == "A"
                       else ch for ch in pattern)

    def unique(self, make) -> str:
        for _ in range(1000):
            v = make()
            if v not in self._used_ids:
                self._used_ids.add(v)
                return v
        raise RuntimeError("identifier space exhausted")

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def eori(self, country: str) -> str:
        r = self.rng

        def make():
            if country == "DE":
                return "DE" + str(r.randint(1, 9)) + self.digits(r.choice((6, 8, 12)))
            if country == "NL":
                return "NL" + str(r.randint(1, 8)) + self.digits(8)
            if country == "BE":
                return "BE0" + str(r.randint(4, 9)) + self.digits(8)
            if country == "FR":
                return "FR" + str(r.randint(3, 9)) + self.digits(8) + "000" + self.digits(2)
            if country == "IT":
                return "IT" + "0" + self.digits(10)
            if country == "ES":
                return "ES" + r.choice("ABB") + self.digits(8)
            if country == "PL":
                return "PL" + str(r.randint(1, 9)) + self.digits(9) + "00000"
            if country == "AT":
                return "ATEOS1000" + self.digits(6)
            if country == "IE":
                return "IE" + self.digits(7) + r.choice("ABCDEFHJKLMNPRTW")
            return country + str(r.randint(1, 9)) + self.digits(r.choice((8, 9, 10)))
        return self.unique(make)

    def address(self, country: str) -> str:
        r = self.rng
        city, pc = r.choice(D.CITIES[country])
        layout = D.ADDRESS_LAYOUT.get(country, "{street} {n}, {city}")
        return layout.format(street=r.choice(D.STREETS[country]), n=r.randint(1, 240), n2=r.randint(1, 40),
                             city=city, pc=self._pattern(pc)).replace(" ,", ",").strip().rstrip(",")

    def coined(self, country: str, syllables: int) -> str:
        """An invented trade mark of `syllables` syllables in the country's style ("Velmaro")."""
        table = D.COINED_SYLLABLES[D.COINED_STYLE.get(country, "latin")]
        return "".join(self.rng.choice(table) for _ in range(syllables)).capitalize()

    def _coined_level(self, attempt: int) -> int:
        """Syllables of the coined mark at a given attempt past the name words: 2, then one more
        every COINED_TRIES attempts (the space grows twentyfold with each)."""
        return 2 + (attempt - NAME_WORD_TRIES) // COINED_TRIES

    def company_name(self, country: str, sector: str, importer: bool = False) -> str:
        """A new trader name: never used before (as normalised), far from the watch list.

        The country's name words come first (a family or place name; from the 30th try two of
        them, from the 60th the firm's town in front); once they are crowded, a coined mark takes
        the word's place, of 2 syllables, then 3, 4... The space grows without bound, so a name is
        always found, and every draw comes from the world's rng (deterministic). A crowded
        (country, sector) starts at the level where it last found a name."""
        r = self.rng
        words = D.NAME_WORDS[country]
        if importer:
            industry = D.IMPORTER_WORDS.get(sector) or D.INDUSTRY_WORDS["general"]
        else:
            industry = D.INDUSTRY_WORDS.get(sector) or D.INDUSTRY_WORDS["general"]
        local = D.LOCAL_IMPORTER_WORDS.get(country, {}).get(sector) if importer else None
        level_key = (country, sector, importer)
        for attempt in itertools.count(self._name_level.get(level_key, 0)):
            if attempt < NAME_WORD_TRIES:
                w = r.choice(words)
                if attempt >= 30 or r.random() < 0.12:
                    other = r.choice([x for x in words if x != w] or words)
                    if country in ("CN", "HK", "VN", "JP", "KR", "TW", "TH", "ID", "MY"):
                        w = f"{w} {r.choice(D.INDUSTRY_WORDS['general'])}" if attempt >= 30 else w
                    else:
                        w = f"{w} & {other}"
                if attempt >= 60 and country != "CN":  # crowded name space: the firm's town in its name
                    w = f"{r.choice(D.CITIES[country])[0].split(',')[0].split(' - ')[0]} {w}"
            else:
                w = self.coined(country, self._coined_level(attempt))
            ind = r.choice(local) if local and r.random() < 0.5 else r.choice(industry)
            form = r.choice(D.LEGAL_FORMS.get(country, ["Ltd"]))
            if country == "CN":
                name = f"{r.choice(D.CITIES['CN'])[0]} {w} {ind} {form}"
            elif country == "ID":
                name = f"PT {w} {ind} {form}"
            elif country in ("CL",) and sector == "wine":
                name = f"Vina {w} {form}"
            elif country in ("AR",) and sector == "wine":
                name = f"Bodega {w} {form}"
            elif country in ("DE", "AT", "NL") and local and ind in local:
                name = f"{w} {ind} {form}"
            elif country in ("IT", "FR", "ES", "PL") and local and ind in local:
                name = f"{ind} {w} {form}"
            else:
                name = f"{w} {ind} {form}"
            key = normalise_name(name)
            if key not in self._used_names and self.guard.ok(name):
                self._used_names.add(key)
                if attempt >= NAME_WORD_TRIES:
                    level = self._coined_level(attempt)
                    self._name_level[level_key] = NAME_WORD_TRIES + (level - 2) * COINED_TRIES
                return name
        raise AssertionError("unreachable")

    def party(self, name: str, country: str, *, eori: bool | str = True, aeo: bool | None = None,
              address: bool = True) -> dict:
        if eori is True:
            eori_value = self.eori(country)
        elif eori is False:
            eori_value = None
        else:
            eori_value = eori
        return {"name": name, "eori": eori_value, "country": country,
                "address": self.address(country) if address else None,
                "aeo": (self.rng.random() < 0.15) if aeo is None else aeo}

    def person(self, country: str) -> dict:
        r = self.rng
        if self.persons and r.random() < 0.08:  # repeat buyers
            p = r.choice(self.persons)
            if p["country"] == country:
                return p
        name = f"{r.choice(D.FIRST_NAMES[country])} {r.choice(D.LAST_NAMES[country])}"
        p = {"name": name, "eori": None, "country": country, "address": self.address(country), "aeo": False}
        self.persons.append(p)
        return p

    def eu_country(self, allowed: list | None = None) -> str:
        countries = list(D.EU_COUNTRY_WEIGHTS) if allowed is None else [c for c in allowed if c in D.EU_COUNTRY_WEIGHTS]
        return self.rng.choices(countries, [D.EU_COUNTRY_WEIGHTS[c] for c in countries])[0]

    # -- traders ----------------------------------------------------------------------------------
    def _new_forwarder(self) -> Forwarder:
        r = self.rng
        country = self.eu_country()
        local, share = D.LOCAL_FORWARDER_WORDS.get(country, ("", 0.0))
        for attempt in itertools.count():
            word = r.choice(D.NAME_WORDS[country]) if attempt < NAME_WORD_TRIES else \
                self.coined(country, self._coined_level(attempt))
            core = local.format(w=word) if r.random() < share else f"{word} {r.choice(D.FORWARDER_WORDS)}"
            name = f"{core} {r.choice(D.LEGAL_FORMS[country])}"
            if normalise_name(name) not in self._used_names and self.guard.ok(name):
                break
        self._used_names.add(normalise_name(name))
        code = self.unique(lambda: "".join(r.choice(string.ascii_uppercase) for _ in range(4)))
        return Forwarder(self.party(name, country, aeo=r.random() < 0.6), code, country)

    def new_importer(self, country: str, sector: str) -> Importer:
        r = self.rng
        name = self.company_name(country, sector, importer=True)
        fwd = None if r.random() < 0.35 else r.choice(self.forwarders)
        imp = Importer(self.party(name, country), country, sector, fwd, r.paretovariate(1.3))
        self.importers.setdefault((country, sector), []).append(imp)
        return imp

    def importers_for(self, countries: list, sector: str, k: int) -> list:
        """k consignees for a lane: established importers of the sector where there are some."""
        r = self.rng
        out: list = []
        for _ in range(k):
            country = self.eu_country(countries)
            pool = self.importers.get((country, sector), [])
            if pool and r.random() < 0.55:
                imp = r.choices(pool, [i.weight for i in pool])[0]
            else:
                imp = self.new_importer(country, sector)
            if imp not in out:
                out.append(imp)
        return out

    def _new_seaair_consignor(self) -> Consignor:
        r = self.rng
        countries = list(D.EXPORTERS)
        country = r.choices(countries, [D.EXPORTERS[c][0] for c in countries])[0]
        sectors = D.EXPORTERS[country][1]
        sector = r.choices(list(sectors), list(sectors.values()))[0]
        name = self.company_name(country, sector)
        c = Consignor(self.party(name, country, eori=r.random() < 0.35), country,
                      weight=min(TRADER_WEIGHT_CAP, r.paretovariate(1.2)))
        first = self._lane(c, sector, None, set())
        if first is None:
            return self._new_seaair_consignor()
        c.lanes.append(first)
        if r.random() < 0.3:  # a second lane: other goods (other HS heading), other route
            used = {h[:4] for h in first.hs}
            second = self._lane(c, sector, first, used)
            if second is None:
                other = [s for s in sectors if s != sector]
                if other:
                    second = self._lane(c, r.choice(other), first, used)
            if second is not None:
                first.weight, second.weight = 0.65, 0.35
                c.lanes.append(second)
        return c

    def _second_ports(self) -> None:
        """SECOND_PORT_SHARE of the big traders' sea lanes (at least one) also load at a second
        port of the country, for one of the lane's usual consignees, via the same hub (if any) to
        the same port of unloading: the same HS heading then travels by two routes to one
        consignee."""
        r = self.rng
        big = [(c, lane) for c in self.consignors["SEA_AIR"] if c.weight >= BIG_TRADER_WEIGHT
               for lane in c.lanes if lane.mode == "SEA" and lane.consignees and len(D.SEA_POL[c.country]) > 1]
        if not big:
            return
        for c, lane in r.sample(big, max(1, round(SECOND_PORT_SHARE * len(big)))):
            svc = lane.route
            pol = r.choice([p for p in D.SEA_POL[c.country] if p != lane.pol])
            itinerary = (c.country,) + ((self.ref.country_of(svc.hub),) if svc.hub else ()) + (lane.pod[:2],)
            lane.alt = AltRoute(pol, itinerary, self.sea_service(pol, svc.hub, lane.pod), r.choice(lane.consignees),
                                r.uniform(0.25, 0.5))

    def _lane(self, c: Consignor, sector: str, first: Lane | None, used_hs4: set) -> Lane | None:
        r = self.rng
        hs_all = [h for h in D.SECTORS[sector][0] if h[:4] not in used_hs4]
        if not hs_all:
            return None
        modes = [m for m in ("SEA", "AIR") if m in D.SECTORS[sector][1]]
        if not D.AIR_POL.get(c.country):
            modes = [m for m in modes if m != "AIR"]
        if not D.SEA_POL.get(c.country):
            modes = [m for m in modes if m != "SEA"]
        if not modes:
            return None
        mode = r.choices(modes, [1.8 if m == "SEA" else 1.0 for m in modes])[0]
        if first is not None and len(modes) > 1 and r.random() < 0.6:
            mode = "AIR" if first.mode == "SEA" else "SEA"
        k = 1 if len(hs_all) == 1 else r.randint(1, min(3, len(hs_all)))
        hs = r.sample(hs_all, k)
        currency = "USD" if r.random() < D.USD_INVOICING.get(c.country, 0.0) else "EUR"
        network = self.sea_network(c.country) if mode == "SEA" else self.air_network(c.country)
        routes = [x for x, _ in network]
        weights = [wt for _, wt in network]
        for _ in range(20):
            route = r.choices(routes, weights)[0]
            if mode == "SEA":
                pol, hub, pod = route.pol, route.hub, route.pod
                served = D.SEA_POD[pod]
                itinerary = (c.country,) + ((self.ref.country_of(hub),) if hub else ()) + (pod[:2],)
            else:
                pol, hub, pod = route.pol, route.hub_country, route.pod
                served = D.AIR_POD[pod]
                itinerary = (c.country,) + ((hub,) if hub else ()) + (pod[:2],)
            if first is None or (pol, itinerary) != (first.pol, first.itinerary):
                break
        else:
            return None
        consignees = self.importers_for(served, sector, r.choices((1, 2, 3, 4), (4, 3, 2, 1))[0])
        return Lane(mode, pol, pod, itinerary, route, hs, consignees, c.country, currency, 1.0, sector,
                    r.uniform(0.1, 0.9))

    def _new_road_consignor(self) -> Consignor:
        r = self.rng
        countries = list(D.ROAD_EXPORTERS)
        country = r.choices(countries, [D.ROAD_EXPORTERS[c][0] for c in countries])[0]
        sectors = D.ROAD_EXPORTERS[country][1]
        sector = r.choices(list(sectors), list(sectors.values()))[0]
        c = Consignor(self.party(self.company_name(country, sector), country, eori=r.random() < 0.6), country,
                      weight=min(TRADER_WEIGHT_CAP, r.paretovariate(1.3)))
        pol, pod, served = r.choice(D.ROAD_ROUTES[country])
        hs = r.sample(D.SECTORS[sector][0], r.randint(1, len(D.SECTORS[sector][0])))
        consignees = self.importers_for(served, sector, r.choices((1, 2, 3), (3, 2, 1))[0])
        route = self.road_route(pol, pod)
        c.lanes.append(Lane("ROAD", pol, pod, (country, pod[:2]), route, hs, consignees, country,
                            "EUR", 1.0, sector, r.uniform(0.1, 0.9)))
        return c

    def _new_postal_consignor(self) -> Consignor:
        r = self.rng
        countries = list(D.POSTAL_EXPORTERS)
        country = r.choices(countries, list(D.POSTAL_EXPORTERS.values()))[0]
        name = self.company_name(country, "ecommerce")
        c = Consignor(self.party(name, country, eori=r.random() < 0.5, aeo=False), country,
                      weight=min(TRADER_WEIGHT_CAP, r.paretovariate(1.1)))
        hs = r.sample(D.POSTAL_HS, r.randint(2, 4))
        route = r.choices(*zip(*self.air_network(country, postal=True)))[0]
        pol, pod, hub = route.pol, route.pod, route.hub_country
        itinerary = ((country,) if country != pol[:2] else ()) + (pol[:2],) + ((hub,) if hub else ()) + (pod[:2],)
        currency = "USD" if r.random() < D.USD_INVOICING.get(country, 0.0) else "EUR"
        c.lanes.append(Lane("POSTAL", pol, pod, itinerary, route, hs, [], country, currency, 1.0, "ecommerce",
                            r.uniform(0.1, 0.9)))
        return c

    def new_consignor(self, country: str, sector: str) -> dict:
        """A trader never seen before (for planted scenarios)."""
        return self.party(self.company_name(country, sector), country, eori=self.rng.random() < 0.2, aeo=False)

    # -- conveyances ------------------------------------------------------------------------------
    def sea_network(self, country: str) -> list:
        """The sea services (with their share of the country's trade) that carry a country's exports:
        a few per country, each from one port of loading (via a hub or direct) to one EU port."""
        net = self._sea_net.get(country)
        if net is None:
            r = self.rng
            n = max(2, min(12, round(D.EXPORTERS.get(country, (5,))[0] / 2.5)))
            pols = D.SEA_POL[country]
            pods = list(D.SEA_POD_WEIGHTS)
            med = 3.0 if country in ("TR", "EG", "MA", "TN") else 1.0
            pod_w = [D.SEA_POD_WEIGHTS[p] * (med if p in D.MED_PODS else 1.0) for p in pods]
            hubs = D.SEA_HUBS.get(country, [(None, 1)])
            net, seen = [], set()
            for _ in range(n * 4):
                if len(net) == n:
                    break
                pol = r.choices(pols, [1.0 / (i + 1) for i in range(len(pols))])[0]
                pod = r.choices(pods, pod_w)[0]
                hub = r.choices([h for h, _ in hubs], [x for _, x in hubs])[0]
                if (pol, pod) in seen:
                    continue
                seen.add((pol, pod))
                net.append((self.sea_service(pol, hub, pod), r.paretovariate(1.5)))
            self._sea_net[country] = net
        return net

    def air_network(self, country: str, postal: bool = False) -> list:
        """Flights that carry a country's air cargo (or mail) to the EU, with their shares."""
        net = self._air_net.get((country, postal))
        if net is None:
            r = self.rng
            pols = list(D.AIR_POL.get(country) or [])
            if postal and country == "CN":
                pols.append("HKHKG")
            weight = D.EXPORTERS.get(country, (4,))[0]
            n = max(1, min(4, round(weight / 8))) if postal else max(2, min(8, round(weight / 4)))
            pod_table = D.POSTAL_POD_WEIGHTS if postal else D.AIR_POD_WEIGHTS
            pods = list(pod_table)
            net, seen = [], set()
            for _ in range(n * 4):
                if len(net) == n:
                    break
                pol = r.choices(pols, [1.0 / (i + 1) for i in range(len(pols))])[0]
                pod = r.choices(pods, list(pod_table.values()))[0]
                hubs = [(h, x) for h, x in D.AIR_HUB_CHOICES.get(pol[:2], [(None, 1)]) if h != pol[:2]]
                hub = r.choices([h for h, _ in hubs], [x for _, x in hubs])[0]
                if (pol, hub, pod) in seen:
                    continue
                seen.add((pol, hub, pod))
                net.append((self.air_route(pol, hub, pod, postal=postal), r.paretovariate(1.5)))
            self._air_net[(country, postal)] = net
        return net

    def vessel(self, carrier: str) -> Vessel:
        r = self.rng
        prefix, _, _, flags = D.CARRIERS[carrier]
        imo = self.unique(lambda: (lambda six: six + str(imo_check_digit(six)))("9" + self.digits(5)))
        for _ in range(500):
            word = r.choice(D.VESSEL_WORDS)
            name = f"{prefix} {word}" if prefix else f"{word} EXPRESS"
            if name in self._vessel_names:
                name = f"{name} {r.choice(['I', 'II', 'III', 'IV', 'V'])}"
            if name not in self._vessel_names:
                break
        self._vessel_names.add(name)
        return Vessel(imo, name, r.choice(flags), carrier)

    def sea_service(self, pol: str, hub: str | None, pod: str) -> SeaService:
        key = (pol, hub, pod)
        svc = self.sea_services.get(key)
        if svc is None:
            r = self.rng
            carrier = r.choices(list(D.CARRIER_WEIGHTS), list(D.CARRIER_WEIGHTS.values()))[0]
            mothers = [self.vessel(carrier) for _ in range(r.randint(5, 8))]
            feeders = [self.vessel(carrier) for _ in range(r.randint(2, 4))] if hub else []
            cc = pol[:2]
            direction = "W" if cc in D.ASIA else "E" if cc in D.AMERICAS else "N"
            svc = SeaService(key, carrier, r.choice(D.SERVICE_CODES), pol, hub, pod, feeders, mothers, direction)
            self.sea_services[key] = svc
        return svc

    def air_route(self, pol: str, hub_country: str | None, pod: str, postal: bool = False) -> AirRoute:
        key = (pol, hub_country, pod, postal)
        route = self.air_routes.get(key)
        if route is None:
            r = self.rng
            if hub_country:
                airline = D.AIR_HUBS[hub_country][1]
            else:
                airline = r.choice(D.HOME_AIRLINES.get(pol[:2], ["LH", "KL", "AF"]))
            flight = self.unique(lambda: f"{airline}{r.randint(8000, 9899) if not postal else r.randint(100, 999)}")
            dep_minute = r.randrange(0, 24 * 60, 5)
            flight2 = self.unique(lambda: f"{airline}{r.randint(8000, 9899) if not postal else r.randint(100, 999)}")
            route = AirRoute(key, pol, hub_country, pod, airline, flight, dep_minute, postal, flight2)
            self.air_routes[key] = route
        return route

    def road_route(self, pol: str, pod: str) -> RoadRoute:
        key = (pol, pod)
        route = self.road_routes.get(key)
        if route is None:
            r = self.rng
            country = pol[:2]
            hauliers = []
            for _ in range(r.randint(4, 9)):
                hname = self.company_name(country, "general")
                hauliers.append((hname, self.eori(r.choice(["IT", "DE", "NL", "ES"])), country))
            sailings = sorted(r.sample(range(0, 24 * 60, 30), r.randint(1, 3)))
            ferry = f"{pol[2:]}{pod[2:]}"
            route = RoadRoute(key, pol, pod, ferry, sailings, hauliers)
            self.road_routes[key] = route
        return route

    def plate(self, country: str) -> str:
        return self.unique(lambda: self._pattern(D.PLATE_FORMATS.get(country, "AA ####")))

    # -- equipment and documents --------------------------------------------------------------------
    def container(self, carrier: str) -> str:
        r = self.rng
        owners = D.CARRIERS[carrier][1]
        owner = r.choice(D.LEASING_OWNERS) if r.random() < 0.2 else r.choice(owners)
        for _ in range(1000):
            serial = r.randrange(0, 1_000_000)
            if (owner, serial) not in self._used_containers:
                self._used_containers.add((owner, serial))
                return make_container_number(owner, serial, "U")
        raise RuntimeError("container serials exhausted")

    def seal(self, carrier: str) -> str:
        prefix = D.CARRIERS[carrier][2]
        return self.unique(lambda: prefix + self.digits(9 - min(len(prefix), 3) + 1))

    def master_bill(self, carrier: str) -> str:
        prefix = {"MSCU": "MEDU", "MAEU": "MAEU"}.get(carrier, carrier)
        return self.unique(lambda: prefix + self.digits(9))

    def booking(self, carrier: str) -> str:
        return self.unique(lambda: self.digits(9) if carrier in ("MAEU", "HLCU") else carrier[:3] + self.digits(7))

    def house_bill(self, fwd: Forwarder | None, yy: int) -> str:
        code = fwd.code if fwd else "".join(self.rng.choice(string.ascii_uppercase) for _ in range(4))
        return self.unique(lambda: f"{code}{yy:02d}{self.digits(8)}")

    def house_awb(self, fwd: Forwarder | None) -> str:
        code = fwd.code[:3] if fwd else "".join(self.rng.choice(string.ascii_uppercase) for _ in range(3))
        return self.unique(lambda: f"{code}{self.digits(8)}")

    def master_awb(self, airline: str) -> str:
        prefix = D.AIRLINES[airline][1]
        return self.unique(lambda: awb_number(prefix, self.rng.randrange(1_000_000, 9_999_999)))

    def postal_item(self, country: str) -> str:
        def make():
            serial = self.digits(8)
            return f"{self.rng.choice(['LX', 'LZ', 'RR', 'RB', 'UA', 'CP'])}{serial}{s10_check_digit(serial)}{country}"
        return self.unique(make)

    def cmr(self, country: str, yy: int) -> str:
        return self.unique(lambda: f"CMR{country}{yy:02d}{self.digits(7)}")

    def lrn(self, country: str, yy: int) -> str:
        alphabet = string.digits + string.ascii_uppercase
        return self.unique(lambda: f"{yy:02d}{country}{''.join(self.rng.choice(alphabet) for _ in range(12))}")

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
