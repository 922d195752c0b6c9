"""Planted risk scenarios, one function per code of docs/scenarios.md.

Each function plants one instance: it builds consignments with the same honest machinery as the
rest of the traffic, changes exactly the one thing its scenario is about, and returns the
instance for ground_truth.json (without its id). A share of instances gets a control result
(IRREGULARITY or SEIZURE), as officers' feedback would show.
"""
from __future__ import annotations

from generator import data as D
from generator.consignments import MINUTE_MS, Consignment, loguniform
from generator.world import DAY_MS, HOUR_MS, Lane
from transforms.parties import name_similarity

CONTROL_SHARE = 0.3
# When an instance must be caught (ground_truth.json: in_time_by, deadline_ms): before loading for
# what the filings themselves show, before arrival for what the voyage shows (container events,
# the carrier's manifest, the filing's timing against the loading).
IN_TIME_BY = {
    "SPLIT_SHIPMENT": "loading",
    "UNDERVALUATION": "loading",
    "MANIFEST_MISMATCH": "loading",
    "UNDECLARED_CONSIGNMENT": "arrival",
    "CONTAINER_NOT_SEEN": "arrival",
    "ROUTE_DEVIATION": "arrival",
    "LATE_FILING": "arrival",
    "SEAL_TAMPERING": "arrival",
    "WATCHLIST_PARTY": "loading",
    "RESTRICTED_GOODS": "loading",
    "CONTAINER_REUSE": "loading",
    "IMPLAUSIBLE_MASS": "loading",
}
# Patterns that only several filings show (the second leg of a split, the second consignee on a
# container): in time when caught before the LAST-filed target is loaded, the one still to stop.
SHOWN_BY_THE_LAST_FILING = frozenset({"SPLIT_SHIPMENT", "CONTAINER_REUSE"})


def _instance(scenario: str, declared: list, targets: list, note: str, house_documents: list | None = None) -> dict:
    return {"scenario": scenario,
            "declaration_ids": [c.declaration_id for c in declared],
            "targets": [c.declaration_id for c in targets],
            "house_documents": house_documents if house_documents is not None else [c.house_document for c in declared],
            "note": note}


def _mark(b, cs: list, code: str) -> None:
    for c in cs:
        c.scenario = code
        b.add(c)


def _maybe_control(b, c: Consignment, findings: list, amount: float = 0.0) -> None:
    """findings: [(weight, finding, category, control_type)]."""
    r = b.rng
    if r.random() >= CONTROL_SHARE:
        return
    _, finding, category, ctype = r.choices(findings, [f[0] for f in findings])[0]
    c.control = {"finding": finding, "category": category, "type": ctype,
                 "amount": round(amount if finding != "NO_FINDING" else 0.0, 2)}


def _names(*parties) -> str:
    return ", ".join(f'"{p["name"]}"' for p in parties)


def _eur(g: dict) -> float:
    return g["value"] * D.FX_TO_EUR[g["currency"]]


def _single(b, c: Consignment) -> None:
    """Keep a single goods item (scenarios about one item's figures)."""
    if len(c.goods) > 1:
        lane_like = Lane(c.mode, c.pol, c.pod, c.itinerary, c.route, [c.goods[0]["hs_code"][:6]], [],
                         c.goods[0]["origin_country"], c.goods[0]["currency"], 1.0, "")
        c.goods = b.f.goods(lane_like, c.mode)


def _honest(b, mode: str, at: int | None = None) -> tuple:
    consignor, lane = b.pick_lane(mode)
    c = b.f.consignment(consignor.party, lane, b.sample_time() if at is None else at)
    return consignor, lane, c


def _ad_hoc_lane(b, mode: str, pol: str, hub: str | None, pod: str, itinerary: tuple, hs: list, origin: str,
                 currency: str = "EUR", postal: bool = False) -> Lane:
    w = b.w
    if mode == "SEA":
        route = w.sea_service(pol, hub, pod)
    elif mode in ("AIR", "POSTAL"):
        route = w.air_route(pol, hub, pod, postal=mode == "POSTAL")
    else:
        route = w.road_route(pol, pod)
    return Lane(mode, pol, pod, itinerary, route, hs, [], origin, currency, 1.0, "")


def _served(pod: str) -> list:
    return D.SEA_POD.get(pod) or D.AIR_POD.get(pod) or [pod[:2]]


# --------------------------------------------------------------------------------------------
SPLIT_ORIGINS = {"YE": 3, "SY": 1, "EG": 1, "CN": 2, "TR": 1, "IN": 1, "VN": 1, "PK": 1}
SPLIT_AIR_POL = {"YE": ["OMSLL", "SAJED"], "SY": ["LBBEY"], "EG": ["EGALY"], "CN": ["CNSGH", "CNXAM", "CNQIN"],
                 "TR": ["TRIST", "TRIZM"], "IN": ["INMAA", "INCCU"], "VN": ["VNSGN", "VNHPH"], "PK": ["PKKHI"]}
SPLIT_SEA = {"YE": ("OMSLL", None), "SY": ("SYLTK", None), "EG": ("EGALY", None), "CN": ("CNNBO", "SGSIN"),
             "TR": ("TRMER", None), "IN": ("INNSA", "AEJEA"), "VN": ("VNSGN", "SGSIN"), "PK": ("PKKHI", "AEJEA")}
SPLIT_HS = {"844399": 6, "851712": 2, "847330": 1, "850760": 1}


def split_shipment(b) -> dict:
    """One new consignor, one HS heading, 2-3 main consignments by different routes to different
    consignees within 4 days; in half of the instances 1-2 small test shipments the week before."""
    r, w, f = b.rng, b.w, b.f
    origin = r.choices(list(SPLIT_ORIGINS), list(SPLIT_ORIGINS.values()))[0]
    hs6 = r.choices(list(SPLIT_HS), list(SPLIT_HS.values()))[0]
    sector = {"844399": "printing", "851712": "mobile"}.get(hs6, "electronics")
    consignor = w.new_consignor(origin, sector)
    n_main = 2 if r.random() < 0.6 else 3
    with_tests = r.random() < 0.5
    # routes: distinct (place of loading, itinerary); mostly air through different hubs
    routes = []
    hubs = ["AE", "GB", "QA", "TR", None]
    r.shuffle(hubs)
    for hub in hubs:
        if len(routes) == n_main:
            break
        pol = r.choice(SPLIT_AIR_POL[origin])
        if hub is not None and hub == pol[:2]:
            continue
        pod = r.choice(list(D.AIR_POD))
        itin = tuple(dict.fromkeys((origin, pol[:2]) + ((hub,) if hub else ()) + (pod[:2],)))
        if any((pol, itin) == (x[1], x[4]) for x in routes):
            continue
        routes.append(("AIR", pol, hub, pod, itin))
    if r.random() < 0.25:  # one main consignment goes by sea instead
        pol, hub = SPLIT_SEA[origin]
        pod = r.choice(["NLRTM", "BEANR", "DEHAM", "ITGOA", "ESVLC"])
        itin = tuple(dict.fromkeys((origin, pol[:2]) + ((b.ref.country_of(hub),) if hub else ()) + (pod[:2],)))
        routes[-1] = ("SEA", pol, hub, pod, itin)
    # times: main consignments within 4 days; test shipments up to a week before
    span = b.end - b.start
    w0 = b.start + r.randint(0, max(0, span - 4 * DAY_MS) // MINUTE_MS) * MINUTE_MS
    if with_tests and w0 - b.start < 6 * HOUR_MS:
        w0 = b.start + min(span // 3, r.randint(6 * 60, 48 * 60) * MINUTE_MS)
    w1 = min(w0 + 4 * DAY_MS - HOUR_MS, b.end - 30 * MINUTE_MS)
    times = sorted(r.randint(w0 // 1000, w1 // 1000) * 1000 for _ in range(n_main))
    mains, tests = [], []
    for (mode, pol, hub, pod, itin), t in zip(routes, times):
        lane = _ad_hoc_lane(b, mode, pol, hub, pod, itin, [hs6], origin)  # hub: a port (sea) or a country (air)
        importer = w.new_importer(w.eu_country(_served(pod)), sector)
        mass = loguniform(r, 15, 150) if mode == "AIR" else r.uniform(2500, 6000)
        goods = [f.goods_item(hs6, mass, mode, origin, "USD" if r.random() < 0.4 else "EUR", hs_code=hs6)]
        mains.append(f.consignment(consignor, lane, t, importer=importer, goods=goods))
    if with_tests:
        lo = max(b.start, w0 - 7 * DAY_MS)
        for _ in range(r.randint(1, 2)):
            t = r.randint(lo // 1000, max(lo, w0 - 2 * HOUR_MS) // 1000) * 1000
            mode = "POSTAL" if r.random() < 0.5 else "AIR"
            pol = r.choice(SPLIT_AIR_POL[origin])
            pod = r.choice(D.POSTAL_POD if mode == "POSTAL" else list(D.AIR_POD))
            itin = tuple(dict.fromkeys((origin, pol[:2], pod[:2])))
            lane = _ad_hoc_lane(b, mode, pol, None, pod, itin, [hs6], origin)
            consignee = r.choice(mains).consignee if r.random() < 0.5 else w.person(w.eu_country(_served(pod)))
            g = f.goods_item(hs6, 1.0, "POSTAL", origin, "EUR", hs_code=hs6)  # one light package
            tests.append(f.consignment(consignor, lane, t, consignee=consignee, goods=[g]))
    _mark(b, tests + mains, "SPLIT_SHIPMENT")
    _maybe_control(b, r.choice(mains), [(5, "SEIZURE", "EXPLOSIVES", "PHYSICAL"),
                                        (3, "SEIZURE", "COUNTERFEIT", "PHYSICAL"),
                                        (2, "IRREGULARITY", None, "DOCUMENTARY")],
                   amount=sum(_eur(c.goods[0]) for c in mains) * 0.3)
    via = "; ".join(f"{c.mode.lower()} {c.pol} {'-'.join(c.itinerary)} to \"{c.consignee['name']}\"" for c in mains)
    note = (f"new consignor \"{consignor['name']}\" ({origin}) sends HS {hs6} on {n_main} routes within "
            f"{(times[-1] - times[0]) / HOUR_MS:.0f} h: {via}"
            + (f"; after {len(tests)} test shipment(s)" if tests else ""))
    return _instance("SPLIT_SHIPMENT", tests + mains, mains, note)


def undervaluation(b) -> dict:
    r = b.rng
    mode = r.choices(["SEA", "AIR", "ROAD", "POSTAL"], [45, 25, 10, 20])[0]
    consignor, lane, c = _honest(b, mode)
    _single(b, c)
    g = c.goods[0]
    info = b.ref.hs[g["hs_code"][:6]]
    share = r.uniform(0.10, 0.30)
    g["value"] = round(info.unit_value_eur_per_kg * g["gross_mass_kg"] * share / D.FX_TO_EUR[g["currency"]], 2)
    _mark(b, [c], "UNDERVALUATION")
    loss = info.unit_value_eur_per_kg * g["gross_mass_kg"] * (1 - share)
    _maybe_control(b, c, [(8, "IRREGULARITY", None, "DOCUMENTARY"), (2, "IRREGULARITY", None, "PHYSICAL")],
                   amount=loss * r.uniform(0.15, 0.3))
    note = (f"{_names(c.consignor)} declares HS {g['hs_code']} ({g['gross_mass_kg']} kg) at "
            f"{share * info.unit_value_eur_per_kg:.2f} EUR/kg, {share:.0%} of the norm {info.unit_value_eur_per_kg:g}")
    return _instance("UNDERVALUATION", [c], [c], note)


def manifest_mismatch(b) -> dict:
    r, w = b.rng, b.w
    mode = r.choices(["SEA", "AIR", "ROAD"], [60, 25, 15])[0]
    _, _, c = _honest(b, mode)
    kinds = ["packages", "mass", "hs_chapter", "consignee"] + (["container"] if mode == "SEA" else [])
    kind = r.choice(kinds)
    packages = sum(g["packages"] for g in c.goods)
    mass = sum(g["gross_mass_kg"] for g in c.goods)
    if kind == "packages":
        delta = max(2, round(packages * r.uniform(0.2, 0.8)))
        new = packages + delta if packages <= delta or r.random() < 0.6 else packages - delta
        c.line_override = {"packages": new}
        what = f"packages {new} on the manifest, {packages} declared"
    elif kind == "mass":
        factor = r.uniform(1.15, 1.6) if r.random() < 0.5 else r.uniform(0.5, 0.85)
        new = round(mass * factor, 1)
        c.line_override = {"gross_mass_kg": new}
        what = f"gross mass {new} kg on the manifest, {mass:.1f} kg declared"
    elif kind == "hs_chapter":
        chapters = {g["hs_code"][:2] for g in c.goods}
        options = sorted(h for h, info in b.ref.hs.items() if info.category == "GENERAL" and h[:2] not in chapters)
        hs = r.choice(options)
        c.line_override = {"hs_code": hs, "description": r.choice(D.DESCRIPTIONS[hs])}
        what = f"HS {hs} on the manifest, {', '.join(g['hs_code'] for g in c.goods)} declared"
    elif kind == "consignee":
        while True:
            name = w.company_name(w.eu_country(), r.choice(list(D.IMPORTER_WORDS)), importer=True)
            if name_similarity(name, c.consignee["name"]) < 60:
                break
        c.line_override = {"consignee_name": name}
        what = f"consignee \"{name}\" on the manifest, \"{c.consignee['name']}\" declared"
    else:
        other = w.container(c.carrier)
        c.line_override = {"container": other}
        what = f"container {other} on the manifest, {c.containers[0]} declared"
    _mark(b, [c], "MANIFEST_MISMATCH")
    _maybe_control(b, c, [(7, "IRREGULARITY", None, "DOCUMENTARY"), (3, "SEIZURE", "OTHER", "PHYSICAL")],
                   amount=r.uniform(200, 3000))
    return _instance("MANIFEST_MISMATCH", [c], [c], f"{kind}: {what}")


def undeclared_consignment(b) -> dict:
    r = b.rng
    mode = r.choices(["SEA", "AIR", "ROAD", "POSTAL"], [50, 30, 10, 10])[0]
    _, _, c = _honest(b, mode)
    c.declared = False
    _mark(b, [c], "UNDECLARED_CONSIGNMENT")
    where = f"container {c.containers[0]}" if c.containers else c.mode.lower()
    note = (f"manifest line {c.house_document} ({where}, {c.pol} to {c.pod}, consignee \"{c.consignee['name']}\") "
            f"with no declaration")
    return _instance("UNDECLARED_CONSIGNMENT", [], [], note, house_documents=[c.house_document])


def container_not_seen(b) -> dict:
    _, _, c = _honest(b, "SEA")
    c.events = {"kind": "none"}
    _mark(b, [c], "CONTAINER_NOT_SEEN")
    _maybe_control(b, c, [(8, "IRREGULARITY", None, "DOCUMENTARY"), (2, "SEIZURE", "OTHER", "PHYSICAL")],
                   amount=b.rng.uniform(100, 2000))
    return _instance("CONTAINER_NOT_SEEN", [c], [c], f"no container event ever for {c.containers[0]} "
                                                        f"({c.pol} to {c.pod}, vessel IMO {c.conveyance_ref})")


def route_deviation(b) -> dict:
    r = b.rng
    _, _, c = _honest(b, "SEA")
    cc = c.pol[:2]
    region = "asia" if cc in D.ASIA else "americas" if cc in D.AMERICAS else "other"
    allowed = set(c.itinerary) | {c.pol[:2], c.pod[:2]}
    options = [p for p in D.DEVIATION_PORTS[region] + D.DEVIATION_PORTS["other"] if p[:2] not in allowed]
    port = r.choice(options)
    c.events = {"kind": "deviation", "port": port}
    _mark(b, [c], "ROUTE_DEVIATION")
    _maybe_control(b, c, [(5, "SEIZURE", "DRUGS", "SCAN"), (5, "IRREGULARITY", None, "PHYSICAL")],
                   amount=r.uniform(0, 5000))
    return _instance("ROUTE_DEVIATION", [c], [c],
                     f"container {c.containers[0]} discharged and reloaded at {port} ({b.w.unlocode_name(port)}), "
                     f"declared itinerary {'-'.join(c.itinerary)}")


def late_filing(b) -> dict:
    r = b.rng
    _, _, c = _honest(b, "SEA")
    # the actual LOAD (after the voyage's slip, if any) 2-14 h before the filing
    b.f.load_before(c, c.filed_at - r.randint(2 * 60, 14 * 60) * MINUTE_MS)
    c.events = {"kind": "late"}
    _mark(b, [c], "LATE_FILING")
    _maybe_control(b, c, [(9, "IRREGULARITY", None, "DOCUMENTARY"), (1, "SEIZURE", "OTHER", "PHYSICAL")],
                   amount=r.uniform(500, 5000))
    loaded = b.f.sched.sea_load_actual(c.route, c.load_ms)
    return _instance("LATE_FILING", [c], [c], f"container {c.containers[0]} loaded at {c.pol} "
                                                 f"{(c.filed_at - loaded) / HOUR_MS:.1f} h before the filing")


def seal_tampering(b) -> dict:
    r, w = b.rng, b.w
    # the seals change on the way, before the arrival: at the transshipment hub (a lane with one
    # if there is any), else between the gate-in and the loading at the port of loading
    for _ in range(50):
        consignor, lane = b.pick_lane("SEA")
        if lane.route.hub:
            break
    c = b.f.consignment(consignor.party, lane, b.sample_time())
    points = [("DISC", "hub"), ("LOAD", "hub")] if c.route.hub else [("LOAD", "pol")]
    code, where = r.choice(points)
    removed = r.random() < 0.4
    new = [] if removed else [w.seal(c.carrier)]
    c.events = {"kind": "normal", "seal_from": b.ev.step_index(c, code, where), "new_seals": new}
    _mark(b, [c], "SEAL_TAMPERING")
    _maybe_control(b, c, [(6, "SEIZURE", "DRUGS", "PHYSICAL"), (4, "IRREGULARITY", None, "PHYSICAL")],
                   amount=r.uniform(0, 3000))
    loc = c.route.hub if where == "hub" else c.pol
    what = "seals removed" if removed else f"seal {c.seals[0]} replaced by {new[0]}"
    return _instance("SEAL_TAMPERING", [c], [c], f"container {c.containers[0]}: {what} at {code} {loc}, no inspection")


# --------------------------------------------------------------------------------------------
# Watch-listed parties and how they ship: name -> (role, mode, pol, hub, pod, hs codes, origin)
WATCH_SHIPPING = {
    "Al-Noor General Trading LLC": ("consignor", "OMSLL", None, ["392690", "870899", "851712"], "YE"),
    "Crescent Star Logistics FZE": ("consignor", "AEJEA", None, ["847330", "851712", "850760"], "AE"),
    "Baltic Amber Export OOO": ("consignor", "RULED", None, ["760110", "720851", "280300"], "RU"),
    "Golden Delta Shipping Co": ("consignor", "MMRGN", "SGSIN", ["100630", "610910"], "MM"),
    "Pacific Rim Chemicals Ltd": ("consignor", "CNDAL", None, ["280300"], "KP"),
    "Sunrise Pharma Wholesale SA": ("consignor", "PAMIT", None, ["300490"], "PA"),
    "Eastern Horizon Import Export": ("consignor", "AEJEA", None, ["870899", "847330"], "IR"),
    "Marlin Tobacco Distributors Ltd": ("consignee", "AEJEA", None, ["240220"], "AE"),
}
LEGAL_VARIANTS = {"LLC": ["L.L.C.", "Llc", "L.L.C"], "FZE": ["F.Z.E.", "FZ-E", "Fze"], "OOO": ["O.O.O.", "LLC", "OOO."],
                  "Co": ["Company", "Co.", "CO"], "Ltd": ["Limited", "Ltd.", "LTD"], "SA": ["S.A.", "S.A", "Sa"]}


def name_variant(r, name: str) -> tuple[str, str]:
    """A variant of a watch-listed name as filers write it; returns (variant, how)."""
    words = name.split()
    legal = words[-1] if words[-1] in LEGAL_VARIANTS else None
    core = words[:-1] if legal else words
    how = r.choice(["typo", "legal form", "word order", "case", "punctuation"])
    if how == "legal form":
        if legal:
            return " ".join(core + [r.choice(LEGAL_VARIANTS[legal])]), "legal form changed"
        return name + r.choice([" Co.", " Ltd", " LLC"]), "legal form added"
    if how == "typo":
        long_words = [i for i, w in enumerate(core) if len(w) >= 5 and w.isalpha()]
        i = r.choice(long_words)
        w = core[i]
        j = r.randrange(1, len(w) - 1)
        op = r.choice(["swap", "drop", "double", "vowel"])
        if op == "swap":
            w2 = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        elif op == "drop":
            w2 = w[:j] + w[j + 1:]
        elif op == "double":
            w2 = w[:j] + w[j] + w[j:]
        else:
            vowels = [k for k in range(1, len(w)) if w[k] in "aeiou"]
            k = r.choice(vowels) if vowels else j
            w2 = w[:k] + r.choice([v for v in "aeiou" if v != w[k].lower()]) + w[k + 1:]
        if w2 == w:
            w2 = w[:j] + w[j + 1:]
        core = core[:i] + [w2] + core[i + 1:]
        return " ".join(core + ([legal] if legal else [])), "typo"
    if how == "word order":
        if len(core) >= 3:
            core = core[1:] + core[:1]
        else:
            core = core[::-1]
        return " ".join(core + ([legal] if legal else [])), "word order"
    if how == "case":
        return (name.upper(), "upper case") if r.random() < 0.6 else (name.lower(), "lower case")
    # punctuation
    if "-" in name:
        return name.replace("-", r.choice([" ", ""])), "punctuation"
    if legal:
        return " ".join(core) + r.choice([", ", ". ", " - "]) + legal, "punctuation"
    return " ".join(core[:-1]) + " - " + core[-1] if len(core) > 1 else name + ".", "punctuation"


def watchlist_party(b) -> dict:
    r, w, f = b.rng, b.w, b.f
    entry = r.choice(b.ref.watchlist)
    role, pol, hub, hs, origin = WATCH_SHIPPING.get(entry.name, ("consignor", "AEJEA", None, ["847330"], entry.country))
    variant, how = name_variant(r, entry.name)
    pod = r.choice(["NLRTM", "BEANR", "DEHAM", "PLGDN", "ITGOA", "GRPIR"]) if role == "consignor" else "CYLMS"
    itin = tuple(dict.fromkeys((origin, pol[:2]) + ((b.ref.country_of(hub),) if hub else ()) + (pod[:2],)))
    lane = _ad_hoc_lane(b, "SEA", pol, hub, pod, itin, hs, origin)
    listed = {"name": variant, "eori": None, "country": entry.country, "address": w.address(entry.country),
              "aeo": False}
    if role == "consignor":
        sector = next((s for s, v in D.SECTORS.items() if hs[0] in v[0]), "general")
        importer = w.new_importer(w.eu_country(_served(pod)), sector)
        c = f.consignment(listed, lane, b.sample_time(), importer=importer)
    else:
        shipper = w.new_consignor(origin, "tobacco")
        c = f.consignment(shipper, lane, b.sample_time(), consignee=listed)
    _mark(b, [c], "WATCHLIST_PARTY")
    cat = {"Marlin Tobacco Distributors Ltd": "TOBACCO",
           "Sunrise Pharma Wholesale SA": "COUNTERFEIT"}.get(entry.name, "OTHER")
    _maybe_control(b, c, [(5, "SEIZURE", cat, "PHYSICAL"), (5, "IRREGULARITY", None, "DOCUMENTARY")],
                   amount=r.uniform(0, 20000))
    return _instance("WATCHLIST_PARTY", [c], [c],
                     f"{role} \"{variant}\" is watch-listed \"{entry.name}\" ({entry.list}, {entry.country}); {how}")


# --------------------------------------------------------------------------------------------
# Restricted goods: true HS, harmless HS used to hide it, descriptions, seizure category,
# origins, mode, mass per package and total mass.
RESTRICTED = [
    ("310230", "310510", "Ammonium nitrate fertiliser, prilled, 34.5% N", "Ammonium nitrate prills 34.5% N, big bags",
     "EXPLOSIVES", ["TR", "EG", "CN"], "SEA", (500, 1000), (15000, 24000), "fertiliser"),
    ("310240", "310510", "Calcium ammonium nitrate 27% N, granular", "Fertiliser, calcium ammonium nitrate 27% N",
     "EXPLOSIVES", ["TR", "EG"], "SEA", (500, 1000), (15000, 24000), "fertiliser"),
    ("282919", "382499", "Potassium chlorate 99.5% min, 25 kg drums", "Potassium chlorate powder 99%",
     "EXPLOSIVES", ["CN", "IN"], "SEA", (25, 50), (5000, 15000), "chem"),
    ("282919", "382499", "Sodium chlorate crystals, 50 kg bags", "Sodium chlorate technical grade",
     "EXPLOSIVES", ["CN", "IN"], "SEA", (25, 50), (8000, 18000), "chem"),
    ("293941", "300490", "Ephedrine hydrochloride BP, powder", "Ephedrine HCl powder, bulk, 25 kg drums",
     "DRUGS", ["IN", "CN", "PK"], "AIR", (5, 25), (25, 250), "lab"),
    ("360200", "382499", "Emulsion explosives for mining, cartridged", "Explosive emulsion for quarrying, packaged",
     "EXPLOSIVES", ["TR", "ZA", "CN"], "SEA", (20, 25), (5000, 15000), "mining"),
    ("930630", "392690", "Cartridges for pistols 9x19 mm FMJ", "9 mm pistol ammunition, boxed",
     "WEAPONS", ["TR", "US", "BR"], "AIR", (10, 25), (50, 600), "defence"),
    ("930190", "870899", "Semi-automatic military rifles", "Rifle receivers and barrels, military",
     "WEAPONS", ["US", "TR"], "AIR", (10, 40), (60, 400), "defence"),
    ("050790", "392690", "Worked ivory pieces", "Ivory carvings, assorted figurines",
     "WILDLIFE", ["KE", "TZ", "NG", "MZ"], "SEA", (2, 25), (200, 2000), "crafts"),
]
RESTRICTED_SEA_POL = {"TR": "TRMER", "EG": "EGALY", "CN": "CNNBO", "IN": "INNSA", "ZA": "ZADUR", "KE": "KEMBA",
                      "TZ": "TZDAR", "NG": "NGAPP", "MZ": "MZMPM"}
RESTRICTED_AIR_POL = {"IN": "INMAA", "CN": "CNSGH", "PK": "PKKHI", "TR": "TRIST", "US": "USNYC", "BR": "BRRIO"}


def restricted_goods(b) -> dict:
    r, w, f = b.rng, b.w, b.f
    (true_hs, fake_hs, desc_true, desc_fake, category, origins, mode, kpp_range, mass_range,
     sector) = r.choice(RESTRICTED)
    hidden = b.restricted_count % 2 == 1  # alternate: half under the true HS, half misdeclared
    b.restricted_count += 1
    origin = r.choice(origins)
    if mode == "SEA":
        pol = RESTRICTED_SEA_POL[origin]
        hubs = D.SEA_HUBS.get(origin, [(None, 1)])
        hub = r.choices([h for h, _ in hubs], [x for _, x in hubs])[0]
        pod = r.choice(list(D.SEA_POD))
        itin = tuple(dict.fromkeys((origin,) + ((b.ref.country_of(hub),) if hub else ()) + (pod[:2],)))
    else:
        pol = RESTRICTED_AIR_POL[origin]
        hubs = D.AIR_HUB_CHOICES.get(origin, [(None, 1)])
        hub = r.choices([h for h, _ in hubs], [x for _, x in hubs])[0]
        pod = r.choice(list(D.AIR_POD))
        itin = tuple(dict.fromkeys((origin,) + ((hub,) if hub else ()) + (pod[:2],)))
    lane = _ad_hoc_lane(b, mode, pol, hub, pod, itin, [true_hs], origin)
    kpp = r.uniform(*kpp_range)
    packages = max(1, round(r.uniform(*mass_range) / kpp))
    gross = round(packages * kpp, 1)
    declared_hs = fake_hs if hidden else true_hs
    norm_info = b.ref.hs.get(declared_hs) or b.ref.hs[true_hs]
    value = round(norm_info.unit_value_eur_per_kg * gross * min(1.5, max(0.7, r.lognormvariate(0, 0.2))), 2)
    goods = [{"hs_code": declared_hs, "description": desc_fake if hidden else desc_true, "packages": packages,
              "gross_mass_kg": gross, "value": value, "currency": "EUR", "origin_country": origin}]
    consignor = w.new_consignor(origin, sector)
    importer = w.new_importer(w.eu_country(_served(pod)), "staples")
    c = f.consignment(consignor, lane, b.sample_time(), importer=importer, goods=goods)
    if c.iso_type is not None:
        c.iso_type = "22G1"
    _mark(b, [c], "RESTRICTED_GOODS")
    _maybe_control(b, c, [(9, "SEIZURE", category, "PHYSICAL"), (1, "IRREGULARITY", None, "DOCUMENTARY")])
    how = f"misdeclared under HS {fake_hs}, description \"{desc_fake}\"" if hidden else f"declared under HS {true_hs}"
    return _instance("RESTRICTED_GOODS", [c], [c], f"{b.ref.hs[true_hs].description} (HS {true_hs}) {how}")


def container_reuse(b) -> dict:
    r, w, f = b.rng, b.w, b.f
    consignor_a, lane_a, a = _honest(b, "SEA")
    reused = [a]
    for _ in range(1 if r.random() < 0.7 else 2):
        country = lane_a.origin
        sectors = D.EXPORTERS.get(country, (1, {"general": 1}))[1]
        sector = r.choice([s for s in sectors if "SEA" in D.SECTORS.get(s, ([], {"SEA"}))[1]] or ["general"])
        shipper = w.new_consignor(country, sector)
        hs = D.SECTORS[sector][0] if sector in D.SECTORS else lane_a.hs
        lane_b = Lane("SEA", a.pol, a.pod, a.itinerary, a.route, hs, [], country, "EUR", 1.0, sector)
        while True:
            importer = w.new_importer(w.eu_country(_served(a.pod)), sector)
            if all(name_similarity(importer.party["name"], x.consignee["name"]) < 60 for x in reused):
                break
        lo = max(a.filed_at - 12 * HOUR_MS, a.load_ms - 96 * HOUR_MS, b.start)
        hi = min(a.load_ms - 24 * HOUR_MS, a.filed_at + 4 * HOUR_MS, b.end - 1000)
        t = r.randint(lo // 1000, max(lo, hi) // 1000) * 1000
        c = f.consignment(shipper, lane_b, t, importer=importer)
        c.containers, c.seals, c.iso_type = list(a.containers), list(a.seals), a.iso_type
        c.carrier, c.booking = a.carrier, a.booking
        f.set_load(c, a.load_ms)
        c.owns_events = False
        reused.append(c)
    _mark(b, reused, "CONTAINER_REUSE")
    _maybe_control(b, r.choice(reused), [(4, "SEIZURE", "TOBACCO", "PHYSICAL"), (2, "SEIZURE", "DRUGS", "PHYSICAL"),
                                         (4, "IRREGULARITY", None, "SCAN")], amount=r.uniform(0, 30000))
    names = "; ".join(f"\"{c.consignee['name']}\" ({c.house_document})" for c in reused)
    return _instance("CONTAINER_REUSE", reused, reused, f"container {a.containers[0]} declared for {names}")


def implausible_mass(b) -> dict:
    r, f = b.rng, b.f
    mode = r.choices(["SEA", "AIR", "ROAD"], [50, 25, 25])[0]
    _, lane, c = _honest(b, mode)
    _single(b, c)
    g = c.goods[0]
    info = b.ref.hs[g["hs_code"][:6]]
    light = info.kg_per_package_min >= 1 and r.random() < 0.5
    kpp = info.kg_per_package_min / r.uniform(10, 40) if light else info.kg_per_package_max * r.uniform(8, 20)
    packages = max(1, round(g["gross_mass_kg"] / kpp))
    gross = round(packages * kpp, 2)
    g["value"] = round(g["value"] * gross / g["gross_mass_kg"], 2)
    g["packages"], g["gross_mass_kg"] = packages, gross
    _mark(b, [c], "IMPLAUSIBLE_MASS")
    _maybe_control(b, c, [(4, "SEIZURE", "DRUGS", "SCAN"), (2, "SEIZURE", "TOBACCO", "PHYSICAL"),
                          (4, "IRREGULARITY", None, "PHYSICAL")], amount=r.uniform(0, 10000))
    return _instance("IMPLAUSIBLE_MASS", [c], [c],
                     f"HS {g['hs_code']}: {packages} packages, {gross / packages:.3g} kg per package "
                     f"(plausible {info.kg_per_package_min:g}-{info.kg_per_package_max:g})")


SCENARIOS = {
    "SPLIT_SHIPMENT": split_shipment,
    "UNDERVALUATION": undervaluation,
    "MANIFEST_MISMATCH": manifest_mismatch,
    "UNDECLARED_CONSIGNMENT": undeclared_consignment,
    "CONTAINER_NOT_SEEN": container_not_seen,
    "ROUTE_DEVIATION": route_deviation,
    "LATE_FILING": late_filing,
    "SEAL_TAMPERING": seal_tampering,
    "WATCHLIST_PARTY": watchlist_party,
    "RESTRICTED_GOODS": restricted_goods,
    "CONTAINER_REUSE": container_reuse,
    "IMPLAUSIBLE_MASS": implausible_mass,
}
