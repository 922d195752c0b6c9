"""Declaration-level rules and indicators: one positive and one negative case each."""
import pytest

from tests.unit.factories import make_declaration, party
from transforms.indicators import declaration_indicators
from transforms.reference import load_reference
from transforms.rules import load_ruleset

RS = load_ruleset()
REF = load_reference()


def codes(decl):
    return {e["code"]: e for e in declaration_indicators(decl, RS, REF)}


def test_honest_declaration_fires_nothing():
    assert codes(make_declaration()) == {}


def test_evidence_shape():
    d = make_declaration(goods_overrides={"hs_code": "310230", "description": "ammonium nitrate"})
    for e in declaration_indicators(d, RS, REF):
        assert e["declaration_id"] == d["declaration_id"]
        assert e["house_document"] == d["house_document"]
        assert e["event_time_ms"] == d["filed_at_ms"]
        assert e["kind"] in ("RULE", "INDICATOR")
        assert e["detail"] and e["points"] > 0


def test_restricted_hs():
    c = codes(make_declaration(goods_overrides={"hs_code": "310230", "description": "fertiliser",
                                                "gross_mass_kg": 25_000, "packages": 25, "value": 10_000}))
    assert c["RESTRICTED_HS"]["hint"] == "DO_NOT_LOAD"
    assert "RESTRICTED_DESCRIPTION" not in c


def test_restricted_description_under_harmless_hs():
    c = codes(make_declaration(goods_overrides={"hs_code": "310510", "description": "Ammonium nitrate prills 34.5% N"}))
    assert "RESTRICTED_HS" not in c
    assert c["RESTRICTED_DESCRIPTION"]["points"] == 100
    assert "ammonium nitrate" in c["RESTRICTED_DESCRIPTION"]["detail"]


@pytest.mark.parametrize("hs,description", [("950300", "Water pistols, plastic, assorted colours"),
                                            ("640399", "Leather shoes for women, ivory colour")])
def test_harmless_look_alike_description_is_quiet(hs, description):
    assert "RESTRICTED_DESCRIPTION" not in codes(make_declaration(goods_overrides={"hs_code": hs,
                                                                                   "description": description}))


def test_look_alike_next_to_restricted_goods_still_fires():
    d = make_declaration(goods_overrides={"hs_code": "392690", "description": "Ivory carvings, assorted figurines"})
    d["goods"].append(dict(d["goods"][0], hs_code="950300", description="Water pistols, plastic"))
    c = codes(d)
    assert c["RESTRICTED_DESCRIPTION"]["points"] == 70 and "'ivory'" in c["RESTRICTED_DESCRIPTION"]["detail"]


def test_watchlist_party_any_role():
    c = codes(make_declaration(consignee=party("AL NOOR GENERAL TRADING L.L.C.", "YE")))
    assert "WATCHLIST_PARTY" in c and "consignee" in c["WATCHLIST_PARTY"]["detail"]
    c = codes(make_declaration(notify_party=party("Golden Delta Shipping Company", "MM")))
    assert "notify party" in c["WATCHLIST_PARTY"]["detail"]
    assert "WATCHLIST_PARTY" not in codes(make_declaration(consignee=party("Golden Harvest Foods BV", "NL")))


@pytest.mark.parametrize("value,currency,fires", [
    (18_000, "EUR", False),     # 180 EUR/kg = the norm
    (9_000, "EUR", False),      # 50% of the norm: low but plausible
    (3_600, "EUR", True),       # 20%
    (4_000, "USD", True),       # 3680 EUR -> 20%
    (19_000, "USD", False),
    (100, "XXX", False),        # unknown currency: skipped
])
def test_undervaluation(value, currency, fires):
    c = codes(make_declaration(goods_overrides={"value": value, "currency": currency}))
    assert ("UNDERVALUATION" in c) == fires


@pytest.mark.parametrize("hs,packages,mass,fires", [
    ("847130", 10, 100.0, False),
    ("720851", 100, 5.0, True),       # 0.05 kg per package of steel plate (500-3000)
    ("610910", 10, 4_000.0, True),    # 400 kg per package of t-shirts (2-30)
    ("610910", 10, 200.0, False),     # 20 kg
    ("610910", 10, 10.0, False),      # 1 kg: below the range, within the factor 3
    ("610910", 10, 5.0, True),        # 0.5 kg: below min / 3
])
def test_implausible_mass(hs, packages, mass, fires):
    value = REF.hs_info(hs).unit_value_eur_per_kg * mass  # at the norm, so only the mass speaks
    c = codes(make_declaration(goods_overrides={"hs_code": hs, "packages": packages, "gross_mass_kg": mass,
                                                "value": value}))
    assert ("IMPLAUSIBLE_MASS" in c) == fires
    assert "UNDERVALUATION" not in c


def test_country_risk_origin_and_route():
    c = codes(make_declaration(goods_overrides={"origin_country": "YE"}, itinerary=["YE", "AE", "NL"]))
    assert c["HIGH_RISK_ORIGIN"]["points"] == RS.origin_points["HIGH"]
    assert c["HIGH_RISK_ROUTE"]["points"] == RS.route_points["MEDIUM"]  # AE; YE is the origin
    c = codes(make_declaration(itinerary=["CN", "NL"]))
    assert "HIGH_RISK_ORIGIN" not in c and "HIGH_RISK_ROUTE" not in c
