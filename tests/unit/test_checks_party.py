"""PartyBehaviour: split shipments and test shipments per consignor entity.

Each declaration is applied at its filing time; the consignor's declarations of a heading within the
windows are re-evaluated then, and the assessor hears what changed: a split's first consignment gets
its evidence when the second is filed, and a finding that an amendment or an invalidation removes is
retracted."""
import random

from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.unit.factories import (
    bounded_shuffle,
    evidence_sequence,DAY, H, T0, amend, as_inputs, codes_for, drive, invalidate, last_assessments,
                                  make_declaration, party, run_checks, standing_codes, timeline)
from transforms import lifecycle
from transforms.checks import PartyBehaviourCheck
from transforms.rules import load_ruleset
from transforms.runner import Runner

CHECK = [PartyBehaviourCheck()]
SHIPPER = party("Al Saeed Printing Supplies", "YE")


def cross_checks(assessment: dict) -> set[str]:
    """The codes of the checks' evidence on an assessment's scorecard."""
    return {e["code"] for e in assessment["scorecard"] if e["kind"] == "CROSS_CHECK"}


def run(*records, **kw):
    return run_checks(*records, checks=CHECK, **kw)


def cartridges(t, pol, itinerary, consignee, mass=400.0, value=18_000.0, shipper=SHIPPER, transport_mode="AIR", **kw):
    return make_declaration(consignor=shipper, consignee=consignee, filed_at_ms=t, place_of_loading=pol,
                            itinerary=itinerary, transport_mode=transport_mode, containers=[], seals=[],
                            goods_overrides={"hs_code": "844399", "description": "printer toner cartridges",
                                             "gross_mass_kg": mass, "packages": 20, "value": value,
                                             "origin_country": "YE"}, **kw)


def test_key_is_the_consignor_entity():
    a = make_declaration(consignor=party("Al-Saeed Printing Supplies LLC", "YE"))
    b = make_declaration(consignor=party("AL SAEED PRINTING SUPPLIES", "YE"))
    assert CHECK[0].key_of("declaration", a) == CHECK[0].key_of("declaration", b)


def test_split_shipment_two_routes_two_consignees():
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], party("Chicago Synagogue Supplies", "DE"))
    b = cartridges(T0 + 20 * H, "GBLHR", ["YE", "GB", "DE"], party("Temple Books Ltd", "DE"),
                   shipper=party("AL-SAEED PRINTING SUPPLIES LLC", "YE"))  # a name variant: same entity
    ev, _, runner = run(a, b)
    # both when the second is filed: the first consignment is re-assessed then
    assert timeline(ev) == [(a["declaration_id"], "SPLIT_SHIPMENT", 1, False, b["filed_at_ms"]),
                            (b["declaration_id"], "SPLIT_SHIPMENT", 1, False, b["filed_at_ms"])]
    assert all(e["origin"] == f"PartyBehaviour:{CHECK[0].key_of('declaration', a)[0]}" for e in ev)
    assert runner.live_keys() == 0


def test_two_lanes_one_consignee_is_honest():
    c = party("Druckerhaus Mueller GmbH", "DE")
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], c)
    b = cartridges(T0 + 20 * H, "GBLHR", ["YE", "GB", "DE"], c)
    ev, _, _ = run(a, b)
    assert ev == []


def test_outside_the_window_is_not_a_split():
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], party("Chicago Synagogue Supplies", "DE"))
    b = cartridges(T0 + 5 * DAY, "GBLHR", ["YE", "GB", "DE"], party("Temple Books Ltd", "DE"))
    ev, _, _ = run(a, b)
    assert ev == []


def test_established_trader_with_two_lanes_is_not_a_split():
    consignees = [party(f"Bueroservice {n} GmbH", "DE") for n in ("Nord", "Sued", "West", "Ost")]
    history = [cartridges(T0 + i * DAY, "AEDXB", ["YE", "AE", "DE"], consignees[i % 4]) for i in range(5)]
    a = cartridges(T0 + 9 * DAY, "AEDXB", ["YE", "AE", "DE"], consignees[0])
    b = cartridges(T0 + 9 * DAY + 3 * H, "GBLHR", ["YE", "GB", "DE"], consignees[1])
    ev, _, _ = run(*history, a, b)
    assert "SPLIT_SHIPMENT" not in codes_for(ev, a["declaration_id"]) | codes_for(ev, b["declaration_id"])
    # ... but a third route within the window is one too many even for an established trader
    c = cartridges(T0 + 10 * DAY, "QADOH", ["YE", "QA", "DE"], consignees[2])
    ev, _, _ = run(*history, a, b, c)
    assert "SPLIT_SHIPMENT" in codes_for(ev, c["declaration_id"])


def test_different_goods_are_not_a_split():
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], party("Chicago Synagogue Supplies", "DE"))
    b = make_declaration(consignor=SHIPPER, consignee=party("Temple Books Ltd", "DE"), filed_at_ms=T0 + 3 * H,
                         place_of_loading="GBLHR", itinerary=["YE", "GB", "DE"])
    ev, _, _ = run(a, b)
    assert ev == []


def test_test_shipments_before_a_large_one():
    c = party("Chicago Synagogue Supplies", "DE")
    tests = [cartridges(T0 + i * DAY, "AEDXB", ["YE", "AE", "DE"], c, mass=2.0, value=60.0) for i in range(2)]
    big = cartridges(T0 + 4 * DAY, "AEDXB", ["YE", "AE", "DE"], c)
    ev, _, _ = run(*tests, big)
    assert codes_for(ev, big["declaration_id"]) == {"TEST_SHIPMENT"}
    assert all(codes_for(ev, t["declaration_id"]) == set() for t in tests)


def test_similar_sizes_are_not_test_shipments():
    c = party("Chicago Synagogue Supplies", "DE")
    ds = [cartridges(T0 + i * DAY, "AEDXB", ["YE", "AE", "DE"], c, mass=400.0 + 20 * i) for i in range(3)]
    ev, _, _ = run(*ds)
    assert ev == []


def test_invalidated_declaration_does_not_count():
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], party("Chicago Synagogue Supplies", "DE"))
    b = cartridges(T0 + 2 * H, "GBLHR", ["YE", "GB", "DE"], party("Temple Books Ltd", "DE"))
    inv = invalidate(b)
    ev, assessments, runner = run(a, b, inv)
    # for the hour b stood, the two formed a split; b's invalidation takes it back for a
    assert timeline(ev) == [(a["declaration_id"], "SPLIT_SHIPMENT", 1, False, b["filed_at_ms"]),
                            (b["declaration_id"], "SPLIT_SHIPMENT", 1, False, b["filed_at_ms"]),
                            (a["declaration_id"], "SPLIT_SHIPMENT", 1, True, inv["filed_at_ms"])]
    assert standing_codes(ev, a["declaration_id"]) == set()
    last = last_assessments(assessments)
    assert set(last) == {a["declaration_id"], b["declaration_id"]}
    assert last[a["declaration_id"]]["phase"] == lifecycle.PRE_ARRIVAL and cross_checks(last[a["declaration_id"]]) == set()
    # nothing for b after its invalidation
    assert all(x["event_time_ms"] < inv["filed_at_ms"] for x in assessments if x["declaration_id"] == b["declaration_id"])
    assert runner.live_keys() == 0


def test_parcels_before_parcels_are_not_test_shipments():
    """An e-commerce seller posts parcels of every size: none of them is a 'larger consignment'."""
    c = party("Maria Rossi", "IT")
    ds = [cartridges(T0 + i * H, "CNSZX", ["CN", "NL"], c, mass=m) for i, m in enumerate([0.2, 0.3, 1.8, 2.0])]
    ev, _, _ = run(*ds)
    assert ev == []


def test_light_air_then_heavy_air_is_not_a_test_shipment():
    """Honest air consignments weigh tens of kg at least: a 20 kg one is no test parcel."""
    c = party("Chicago Synagogue Supplies", "DE")
    ds = [cartridges(T0, "AEDXB", ["YE", "AE", "DE"], c, mass=20.0),
          cartridges(T0 + DAY, "AEDXB", ["YE", "AE", "DE"], c, mass=1500.0)]
    ev, _, _ = run(*ds)
    assert ev == []


def test_state_of_a_busy_trader_stays_bounded():
    c = party("Chicago Synagogue Supplies", "DE")
    ds = [cartridges(T0 + i * 2 * H, "AEDXB", ["YE", "AE", "DE"], c) for i in range(24 * 12)]  # 12 per day, 24 days
    r = Runner(checks=CHECK, out_of_orderness_ms=0)
    peak = 0
    for kind, rec, t in as_inputs(*ds):
        r.feed(kind, rec, t)
        st = r.states[0]
        if st:
            peak = max(peak, len(next(iter(st.values()))["decls"]))
    r.finish()
    assert peak <= 12 * 15  # about the horizon (7 + 5 + 2 days), not the whole history
    assert r.live_keys() == 0


# -- the split pattern: latest versions only, each route to a consignee of its own, evidence only
# -- for the declarations that form it (docs/scenarios.md, honest near misses) ------------------------
NORD, SUED, WEST = (party(f"Bueroservice {n} GmbH", "DE") for n in ("Nord", "Sued", "West"))


def test_amended_route_and_consignee_replace_the_first_version():
    """v1 went via GBLHR to another buyer; v2 (the one that counts) joins the usual lane: no split."""
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], NORD)
    b = cartridges(T0 + 2 * H, "GBLHR", ["YE", "GB", "DE"], SUED)
    b2 = amend(b, place_of_loading="AEDXB", itinerary=["YE", "AE", "DE"], consignee=NORD)
    ev, assessments, runner = run(a, b, b2)
    # v1 formed a split with a; v2 does not: a's finding is retracted, v1's is about a replaced version
    assert timeline(ev) == [(a["declaration_id"], "SPLIT_SHIPMENT", 1, False, b["filed_at_ms"]),
                            (b["declaration_id"], "SPLIT_SHIPMENT", 1, False, b["filed_at_ms"]),
                            (a["declaration_id"], "SPLIT_SHIPMENT", 1, True, b2["filed_at_ms"])]
    assert standing_codes(ev, a["declaration_id"]) == set()
    assert codes_for([e for e in ev if e["declaration_version"] == 2], b["declaration_id"]) == set()
    last = last_assessments(assessments)
    assert cross_checks(last[a["declaration_id"]]) == set()
    assert last[b["declaration_id"]]["declaration_version"] == 2 and cross_checks(last[b["declaration_id"]]) == set()
    # filed at once (the amendment before anything else was applied), nothing ever fires
    ev, _, _ = run(a, b2)
    assert ev == []
    assert runner.live_keys() == 0


def test_amendment_to_a_new_route_and_buyer_is_a_split():
    """The other way round: the latest version is what the goods do."""
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], NORD)
    b = cartridges(T0 + 2 * H, "AEDXB", ["YE", "AE", "DE"], NORD)
    b2 = amend(b, place_of_loading="GBLHR", itinerary=["YE", "GB", "DE"], consignee=SUED)
    ev, _, _ = run(a, b, b2)
    assert codes_for(ev, a["declaration_id"]) == codes_for(ev, b["declaration_id"]) == {"SPLIT_SHIPMENT"}


def test_rerouted_sailing_to_a_usual_buyer_is_not_a_split():
    """The carrier adds a transshipment port and the declarant amends the itinerary: the buyer is
    one the lane serves anyway."""
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], NORD)
    b = cartridges(T0 + 3 * H, "AEDXB", ["YE", "AE", "DE"], SUED)
    c = cartridges(T0 + 5 * H, "AEDXB", ["YE", "AE", "DE"], SUED)
    c2 = amend(c, itinerary=["YE", "AE", "OM", "DE"])
    ev, _, _ = run(a, b, c, c2)
    assert ev == []


def test_second_port_of_loading_for_one_buyer_is_not_a_split():
    """A big trader loads one buyer's goods at a second port too: two routes, but the second one
    serves no consignee of its own."""
    main = [cartridges(T0 + i * 3 * H, "AEDXB", ["YE", "AE", "DE"], (NORD, SUED, WEST)[i % 3]) for i in range(9)]
    # the second port once the buyer is served by the main one already: at no time a split
    alt = [cartridges(T0 + i * 7 * H + 4 * H, "AEAUH", ["YE", "AE", "DE"], SUED) for i in range(3)]
    ev, _, _ = run(*main, *alt)
    assert ev == []


def test_second_port_seen_before_the_buyers_main_lane_is_retracted_when_it_is():
    """The second port's first shipment comes before the buyer's first one on the main lane: for
    those two hours it looks like a split (NORD via AEDXB, SUED via AEAUH); once SUED is seen on
    the main lane too, it is one buyer served two ways and the finding is retracted."""
    main = [cartridges(T0 + i * 3 * H, "AEDXB", ["YE", "AE", "DE"], (NORD, SUED, WEST)[i % 3]) for i in range(9)]
    alt = [cartridges(T0 + i * 7 * H + H, "AEAUH", ["YE", "AE", "DE"], SUED) for i in range(3)]
    ev, assessments, _ = run(*main, *alt)
    m0, m1, a0 = main[0]["declaration_id"], main[1]["declaration_id"], alt[0]["declaration_id"]
    assert timeline(ev) == [(m0, "SPLIT_SHIPMENT", 1, False, T0 + H), (a0, "SPLIT_SHIPMENT", 1, False, T0 + H),
                            (m0, "SPLIT_SHIPMENT", 1, True, T0 + 3 * H), (a0, "SPLIT_SHIPMENT", 1, True, T0 + 3 * H)]
    assert codes_for(ev, m1) == set()
    assert all(cross_checks(a) == set() for a in last_assessments(assessments).values())


def test_evidence_only_for_the_declarations_forming_the_pattern():
    """A lane that also serves the split's buyers is not part of it: SPLIT_SHIPMENT goes to the
    declarations whose consignee is served by their route only."""
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], party("Chicago Synagogue Supplies", "DE"))
    b = cartridges(T0 + 20 * H, "GBLHR", ["YE", "GB", "DE"], party("Temple Books Ltd", "DE"))
    # the same heading also goes to NORD by both routes: one buyer served two ways
    n1 = cartridges(T0 + 2 * H, "AEDXB", ["YE", "AE", "DE"], NORD)
    n2 = cartridges(T0 + 30 * H, "GBLHR", ["YE", "GB", "DE"], NORD)
    ev, _, _ = run(a, b, n1, n2)
    assert standing_codes(ev, a["declaration_id"]) == standing_codes(ev, b["declaration_id"]) == {"SPLIT_SHIPMENT"}
    # n1 is in the pattern until n2 shows NORD on both routes (then retracted); n2 never is
    assert timeline(ev, n1["declaration_id"]) == [(n1["declaration_id"], "SPLIT_SHIPMENT", 1, False, b["filed_at_ms"]),
                                                  (n1["declaration_id"], "SPLIT_SHIPMENT", 1, True, n2["filed_at_ms"])]
    assert codes_for(ev, n2["declaration_id"]) == set()
    assert standing_codes(ev, n1["declaration_id"]) == set()
    detail = next(e["detail"] for e in ev if e["declaration_id"] == a["declaration_id"])
    assert b["house_document"] in detail and n2["house_document"] not in detail
    # with NORD's two lanes known before b is filed, n1 never gets evidence
    n2_early = cartridges(T0 + 10 * H, "GBLHR", ["YE", "GB", "DE"], NORD)
    ev, _, _ = run(a, b, n1, n2_early)
    assert codes_for(ev, a["declaration_id"]) == codes_for(ev, b["declaration_id"]) == {"SPLIT_SHIPMENT"}
    assert codes_for(ev, n1["declaration_id"]) == codes_for(ev, n2_early["declaration_id"]) == set()


def test_only_one_route_with_its_own_buyer_is_not_a_split():
    """Route 1 serves NORD and SUED, route 2 only SUED: two routes, two consignees, no split."""
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], NORD)
    b = cartridges(T0 + 2 * H, "AEDXB", ["YE", "AE", "DE"], SUED)
    c = cartridges(T0 + 20 * H, "GBLHR", ["YE", "GB", "DE"], SUED)
    ev, _, _ = run(a, b, c)
    assert ev == []


def test_test_parcel_to_a_buyer_does_not_hide_the_split():
    """The planted plot: a 1 kg sample by post to one of the buyers is a test shipment, not a second
    way of serving that buyer; the two consignments still form the split."""
    chicago, temple = party("Chicago Synagogue Supplies", "DE"), party("Temple Books Ltd", "DE")
    sample = cartridges(T0, "YEADE", ["YE", "DE"], chicago, mass=1.0, value=40.0, transport_mode="POSTAL")
    a = cartridges(T0 + DAY, "AEDXB", ["YE", "AE", "DE"], chicago)
    b = cartridges(T0 + DAY + 20 * H, "GBLHR", ["YE", "GB", "DE"], temple)
    ev, _, _ = run(sample, a, b)
    for d in (a, b):
        assert codes_for(ev, d["declaration_id"]) == {"SPLIT_SHIPMENT", "TEST_SHIPMENT"}
    assert codes_for(ev, sample["declaration_id"]) == set()


def test_a_split_is_sent_once_not_again_for_every_later_peer():
    """Only what changes is sent: a third consignment on one of the split's routes re-evaluates the
    others, but their finding stands (same points): no new evidence for them."""
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], party("Chicago Synagogue Supplies", "DE"))
    b = cartridges(T0 + 20 * H, "GBLHR", ["YE", "GB", "DE"], party("Temple Books Ltd", "DE"))
    c = cartridges(T0 + 30 * H, "GBLHR", ["YE", "GB", "DE"], party("Temple Books Ltd", "DE"))
    out, _ = drive(CHECK[0], [a, b, c])
    assert [(t, e["declaration_id"], e["code"]) for t, e in out] == [
        (b["filed_at_ms"], a["declaration_id"], "SPLIT_SHIPMENT"), (b["filed_at_ms"], b["declaration_id"], "SPLIT_SHIPMENT"),
        (c["filed_at_ms"], c["declaration_id"], "SPLIT_SHIPMENT")]


def test_state_cleared_after_the_windows():
    rs = load_ruleset()
    a = cartridges(T0, "AEDXB", ["YE", "AE", "DE"], party("Chicago Synagogue Supplies", "DE"))
    b = cartridges(T0 + 20 * H, "GBLHR", ["YE", "GB", "DE"], party("Temple Books Ltd", "DE"))
    keep = max(rs.param("SPLIT_SHIPMENT", "window_ms"), rs.param("TEST_SHIPMENT", "window_ms")) + rs.state_retention_ms
    r = Runner(checks=CHECK, out_of_orderness_ms=0, now_ms=lambda: 0)
    for kind, rec, t in as_inputs(a, b):
        r.feed(kind, rec, t)
    r.advance(b["filed_at_ms"] + keep - 1)
    assert len(r.states[0]) == 1
    r.advance(b["filed_at_ms"] + keep)
    assert len(r.states[0]) == 0
    # the assessor closes each lifecycle (AIR stand-ins) and keeps a tombstone, then nothing is left
    r.finish()
    assert r.live_keys() == 0


def _consignor_records(rnd: random.Random) -> list[dict]:
    consignees = [party("Chicago Synagogue Supplies", "DE"), party("Temple Books Ltd", "DE"), NORD, SUED]
    routes = [("AEDXB", ["YE", "AE", "DE"]), ("GBLHR", ["YE", "GB", "DE"]), ("QADOH", ["YE", "QA", "DE"])]
    records = []
    for _ in range(rnd.randrange(2, 7)):
        pol, it = rnd.choice(routes)
        d = cartridges(T0 + rnd.randrange(0, 4 * DAY), pol, it, rnd.choice(consignees),
                       mass=rnd.choice((1.0, 400.0, 900.0)))
        records.append(d)
        u = rnd.random()
        if u < 0.2:
            pol, it = rnd.choice(routes)
            records.append(amend(d, filed_at_ms=d["filed_at_ms"] + rnd.randrange(H, DAY), place_of_loading=pol,
                                 itinerary=it, consignee=rnd.choice(consignees)))
        elif u < 0.35:
            records.append(invalidate(d, filed_at_ms=d["filed_at_ms"] + rnd.randrange(H, DAY)))
    return records


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([H, 12 * H, 2 * DAY]))
def test_out_of_order_within_the_watermark_gives_the_same_evidence(seed, ooo):
    rnd = random.Random(seed)
    inputs = as_inputs(*_consignor_records(rnd))
    shuffled = bounded_shuffle(inputs, ooo, rnd)
    assert evidence_sequence(CHECK, shuffled, ooo) == evidence_sequence(CHECK, inputs, ooo)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20).map(lambda k: k * DAY // 2), st.integers(0, 3), st.integers(0, 3),
                          st.sampled_from((1.0, 4.0, 400.0, 900.0)), st.sampled_from(("844399", "950300", "both"))),
                min_size=1, max_size=40))
def test_the_split_sweep_decides_as_the_scan_of_each_declaration(rows):
    """The sweep over a heading's declarations (linear) gives the same SPLIT_SHIPMENT decisions,
    and the same patterns, as scanning each declaration's window (quadratic)."""
    from transforms.checks import party as party_check

    consignees = [party(n, "DE") for n in ("Chicago Synagogue Supplies", "Temple Books Ltd", "Nord Handel", "Sued AG")]
    routes = [("AEDXB", ["YE", "AE", "DE"]), ("GBLHR", ["YE", "GB", "DE"]), ("QADOH", ["YE", "QA", "DE"]),
              ("OMSLL", ["YE", "OM", "DE"])]
    rs = load_ruleset()
    check, state = CHECK[0], None
    for t, route, consignee, mass, hs in rows:
        d = cartridges(T0 + t, *routes[route], consignees[consignee], mass=mass)
        if hs != "844399":
            toy = {**d["goods"][0], "hs_code": "950300", "description": "toy water pistols"}
            d["goods"] = [toy] if hs == "950300" else [d["goods"][0], toy]
        state = check.on_event(state, "declaration", d, None).state
        check._apply(state, state["inbox"].pop()[2], rs, [])
    p = party_check._params(rs)
    affected = sorted(state["decls"].values(), key=lambda d: (d["first"], d["id"]))
    swept = party_check._split_sweep(state, affected, p)
    index = state["hs4"]
    scanned = {d["id"]: party_check.PartyBehaviourCheck._split_scan(d, state, p) for d in affected
               if len(d["hs4"]) == 1 and len(index[d["hs4"][0]]["routes"]) >= p.min_routes}
    event(f"splits: {min(len(swept), 3)}")
    assert {k: sorted(x["id"] for x in v) for k, v in swept.items()} == \
           {k: sorted(x["id"] for x in v) for k, v in scanned.items() if v is not None}
