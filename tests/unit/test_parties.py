"""Party names: normalisation, entity keys, watch-list matching (variants caught, honest names not)."""
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.parties import WatchlistMatcher, entity_key, name_similarity, normalise_name
from transforms.reference import load_reference


@pytest.fixture(scope="module")
def matcher():
    return WatchlistMatcher(load_reference().watchlist, 88)


@pytest.mark.parametrize("a,b", [
    ("Al-Noor General Trading LLC", "AL NOOR GENERAL TRADING L.L.C."),
    ("Al-Noor General Trading LLC", "General Trading Al Noor"),
    ("Baltic Amber Export OOO", "baltic amber export"),
    ("Golden Delta Shipping Co", "Golden Delta Shipping Company Limited"),
    ("Sunrise Pharma Wholesale SA", "Sunrise Pharma Wholesale S.A."),
    ("Société Générale d'Import", "SOCIETE GENERALE DIMPORT"),
    ("Ｓｈｅｎｚｈｅｎ Bright Co., Ltd.", "shenzhen bright"),
])
def test_variants_normalise_alike(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_legal_form_only_name_is_kept():
    assert normalise_name("The Company Ltd") != ""
    assert normalise_name("") == ""
    assert normalise_name("...") == ""


def test_entity_key_includes_country():
    assert entity_key({"name": "Acme Trading Ltd", "country": "CN"}) == entity_key({"name": "ACME TRADING LIMITED", "country": "CN"})
    assert entity_key({"name": "Acme Trading Ltd", "country": "CN"}) != entity_key({"name": "Acme Trading Ltd", "country": "HK"})


def test_name_similarity():
    assert name_similarity("Rotterdam Computer Supplies BV", "ROTTERDAM COMPUTER SUPPLIES B.V.") == 100
    assert name_similarity("Rotterdam Computer Supplies BV", "Hamburg Fish Imports GmbH") < 60


@pytest.mark.parametrize("variant,listed", [
    ("Al-Noor General Trading LLC", "Al-Noor General Trading LLC"),
    ("AL NOOR GENERAL TRADING L.L.C.", "Al-Noor General Trading LLC"),      # case, punctuation
    ("General Trading Al-Noor LLC", "Al-Noor General Trading LLC"),         # word order
    ("Al-Nor General Trading LLC", "Al-Noor General Trading LLC"),          # typo
    ("AlNoor General Trading Co", "Al-Noor General Trading LLC"),           # words merged, legal form
    ("Crescent Star Logistics FZCO", "Crescent Star Logistics FZE"),        # legal form changed
    ("Cresent Star Logistic FZE", "Crescent Star Logistics FZE"),           # two typos
    ("baltic amber export", "Baltic Amber Export OOO"),
    ("Golden Delta Shipping Company", "Golden Delta Shipping Co"),
    ("Pacific Rim Chemical Ltd.", "Pacific Rim Chemicals Ltd"),
    ("SUNRISE PHARMA WHOLESALE S.A.", "Sunrise Pharma Wholesale SA"),
    ("Eastern Horizon Import-Export", "Eastern Horizon Import Export"),
    ("Marlin Tobaco Distributors Limited", "Marlin Tobacco Distributors Ltd"),
])
def test_watchlist_catches_variants(matcher, variant, listed):
    hit = matcher.match(variant)
    assert hit is not None, variant
    assert hit[0].name == listed
    assert hit[1] >= 88


def honest_names() -> list[str]:
    """A few hundred realistic company names, many sharing words with the watch list."""
    places = ["Shenzhen", "Ningbo", "Hamburg", "Rotterdam", "Istanbul", "Mumbai", "Dubai", "Antwerp", "Lyon",
              "Milano", "Busan", "Osaka", "Valencia", "Gdansk", "Chennai", "Xiamen", "Qingdao", "Porto"]
    words = ["Golden", "Star", "Pacific", "Eastern", "Sunrise", "Delta", "Crescent", "Horizon", "Baltic", "Marlin",
             "Blue Ocean", "Green Valley", "Silver Line", "Northern", "Orient", "Grand", "United", "Royal"]
    trades = ["Electronics", "Textiles", "Trading", "Logistics", "Import Export", "Shipping", "Furniture",
              "Chemicals", "Pharma", "Tobacco", "Auto Parts", "Foods", "Steel", "Toys", "Machinery"]
    forms = ["Co Ltd", "GmbH", "LLC", "BV", "SA", "Ltd", "Inc", "SRL", ""]
    names = []
    for i, (p, w, t) in enumerate(itertools.product(places, words, trades)):
        if i % 7:
            continue
        names.append(f"{p} {w} {t} {forms[i % len(forms)]}".strip())
    names += [f"{w} {t} {forms[i % len(forms)]}".strip() for i, (w, t) in enumerate(itertools.product(words, trades))
              if i % 3 == 0]
    return names


def test_watchlist_no_false_match_on_honest_names(matcher):
    names = honest_names()
    assert len(names) >= 300
    hits = [(n, matcher.match(n)) for n in names]
    false = [(n, h[0].name, h[1]) for n, h in hits if h is not None]
    assert false == []


def test_country_mismatch_needs_a_closer_name(matcher):
    assert matcher.match("Al-Noor General Trading LLC", "DE") is not None  # exact name still matches
    loose = "Al-Nor Genral Tradng"
    s = matcher.match(loose)
    if s is not None and s[1] < 94:
        assert matcher.match(loose, "DE") is None


_name_chars = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_name_chars)
def test_normalise_is_idempotent(name):
    n = normalise_name(name)
    assert normalise_name(n) == n


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["alpha", "Beta", "GAMMA", "delta", "Ltd", "Co.", "&", "-"]), min_size=1, max_size=6))
def test_word_order_does_not_matter(words):
    assert normalise_name(" ".join(words)) == normalise_name(" ".join(reversed(words)))
