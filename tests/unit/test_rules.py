"""Rule sets: loading, validation errors that name the key, compiled lookups."""
import copy
import pickle

import pytest
import yaml

from transforms.rules import (
    DEFAULT_RULESET,
    RuleSetError,
    load_ruleset,
    ruleset_from_dict,
)


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(DEFAULT_RULESET.read_text())


def test_default_loads_with_documented_values():
    rs = load_ruleset()
    assert rs.version == "2026.12-1"
    assert rs.lifecycle_modes["SEA"] == (48 * 3_600_000, 720 * 3_600_000)
    assert rs.lifecycle_modes["AIR"] == (4 * 3_600_000, 24 * 3_600_000)
    assert rs.final_before_arrival_ms == 3_600_000 and rs.absence_after_loading_ms == 6 * 3_600_000
    assert rs.random_selection_share == 0.005
    assert rs.param("MANIFEST_MASS_MISMATCH", "tolerance") == 0.10
    assert rs.param("CONTAINER_REUSE", "window_days") == 7
    assert rs.param("SPLIT_SHIPMENT", "min_routes") == 2
    assert rs.alert_score == 60 and rs.rfi_score == 30
    assert rs.model_weight == 0.0


def test_load_by_name_by_version_and_cached():
    rs = load_ruleset()
    assert load_ruleset("default") is rs
    assert load_ruleset("2026.12-1") is rs  # the version recorded in assessments finds its file
    assert load_ruleset(DEFAULT_RULESET) is rs


def test_unknown_name_is_an_error():
    with pytest.raises(RuleSetError, match="no rule set"):
        load_ruleset("no-such-version")


def test_ruleset_pickles_for_broadcast():
    rs = load_ruleset()
    rs2 = pickle.loads(pickle.dumps(rs))
    assert rs2.version == rs.version
    assert [k.phrase for k in rs2.restricted_keywords_in("Ammonium Nitrate prills")] == ["ammonium nitrate"]


def test_restricted_hs_longest_prefix():
    rs = load_ruleset()
    assert rs.restricted_hs_rule("310230").hint == "DO_NOT_LOAD"
    assert rs.restricted_hs_rule("36020010").category == "EXPLOSIVES"
    assert rs.restricted_hs_rule("930630").category == "WEAPONS"
    assert rs.restricted_hs_rule("310510") is None
    assert rs.restricted_hs_rule("847130") is None


@pytest.mark.parametrize("text,expected", [
    ("ammonium nitrate prills 34.5% N", ["ammonium nitrate"]),
    ("AMMONIUM-NITRATE, porous", ["ammonium nitrate"]),
    ("Potassium  chlorate technical grade", ["potassium chlorate"]),
    ("ephedrine hydrochloride", ["ephedrine"]),
    ("electric detonators", ["detonators"]),
    ("non-explosive demolition agent", []),
    ("toner cartridges for laser printers", []),
    ("chlorinated rubber", []),
    ("mobile telephones", []),
])
def test_restricted_keywords_whole_words(text, expected):
    rs = load_ruleset()
    assert [k.phrase for k in rs.restricted_keywords_in(text)] == expected


@pytest.mark.parametrize("text,expected", [
    # harmless contexts (deductive.harmless_contexts): the look-alike is excused ...
    ("Water pistols, plastic, assorted colours", []),
    ("Toy water pistols with pump tank", []),
    ("TOY PISTOL with caps", []),
    ("Ladies' cotton T-shirts, ivory colour", []),
    ("ivory-coloured cotton fabric", []),
    ("Wooden cabinets, ivory white lacquer finish", []),
    ("T-shirts 100% cotton, ivory and black", []),
    ("Folding box board, ivory board 300 gsm", []),
    # ... the restricted goods are not
    ("Ivory carvings, assorted figurines", ["ivory"]),
    ("Worked ivory pieces", ["ivory"]),
    ("ivory and blackwood carvings", ["ivory"]),  # a context ends at a word's end unless it ends with *
    ("9 mm pistol ammunition, boxed", ["pistol", "ammunition"]),
    ("Cartridges for pistols 9x19 mm FMJ", ["pistols"]),
    ("water pistols and 9 mm pistols", ["pistols"]),  # only the occurrence inside the context is excused
    ("Ladies' leather boots, ivory", ["ivory"]),  # no context: reads like "figurines, ivory"
])
def test_harmless_contexts(text, expected):
    rs = load_ruleset()
    assert [k.phrase for k in rs.restricted_keywords_in(text)] == expected


def test_harmless_contexts_are_data(raw):
    d = copy.deepcopy(raw)
    d["deductive"]["harmless_contexts"] = []
    rs = ruleset_from_dict(d)
    assert [k.phrase for k in rs.restricted_keywords_in("Water pistols, plastic")] == ["pistols"]
    d["deductive"]["harmless_contexts"] = ["ivory colo*"]
    rs = ruleset_from_dict(d)
    assert rs.restricted_keywords_in("Leather shoes, IVORY COLOR") == []
    assert [k.phrase for k in rs.restricted_keywords_in("Water pistols, plastic")] == ["pistols"]
    assert pickle.loads(pickle.dumps(rs)).restricted_keywords_in("ivory coloured silk") == []
    del d["deductive"]["harmless_contexts"]  # optional
    assert ruleset_from_dict(d).harmless_contexts == ()


@pytest.mark.parametrize("value", [["cotton shirts"], ["water * pistol"], [""], [7]])
def test_harmless_context_must_excuse_a_phrase(raw, value):
    d = copy.deepcopy(raw)
    d["deductive"]["harmless_contexts"] = value
    with pytest.raises(RuleSetError) as err:
        ruleset_from_dict(d)
    assert str(err.value).startswith("deductive.harmless_contexts[0]:"), str(err.value)


def _broken(raw, path, value):
    d = copy.deepcopy(raw)
    node = d
    for k in path[:-1]:
        node = node[k]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return d


@pytest.mark.parametrize("path,value,key", [
    (("version",), KeyError, "version"),
    (("version",), 2026.11, "version"),
    (("decision_delay_hours",), -1, "decision_delay_hours"),
    (("decision_delay_hours",), "five days", "decision_delay_hours"),
    (("random_selection_share",), 1.5, "random_selection_share"),
    (("cross_checks", "CONTAINER_REUSE", "window_days"), KeyError, "cross_checks.CONTAINER_REUSE.window_days"),
    (("cross_checks", "CONTAINER_REUSE", "window_days"), "7d", "cross_checks.CONTAINER_REUSE.window_days"),
    (("cross_checks", "SEAL_TAMPERING", "points"), 150, "cross_checks.SEAL_TAMPERING.points"),
    (("cross_checks", "SPLIT_SHIPMENT", "min_routes"), 1, "cross_checks.SPLIT_SHIPMENT.min_routes"),
    (("cross_checks", "LATE_FILLING"), {"points": 1}, "cross_checks.LATE_FILLING"),
    (("cross_checks", "MANIFEST_MASS_MISMATCH", "tolerance"), 10, "cross_checks.MANIFEST_MASS_MISMATCH.tolerance"),
    (("deductive", "restricted_hs", 0, "prefix"), "31x", "deductive.restricted_hs[0].prefix"),
    (("deductive", "restricted_hs", 0, "hint"), "STOP", "deductive.restricted_hs[0].hint"),
    (("deductive", "watchlist", "threshold"), 0, "deductive.watchlist.threshold"),
    (("inductive", "undervaluation", "ratio_below"), 1.2, "inductive.undervaluation.ratio_below"),
    (("inductive", "country_risk", "origin_points", "EXTREME"), 5, "inductive.country_risk.origin_points.EXTREME"),
    (("outcomes", "rfi_score"), 80, "outcomes.rfi_score"),
    (("outcomes", "loaded_at_decision_modes"), ["SHIP"], "outcomes.loaded_at_decision_modes"),
    (("model", "weight"), 2, "model.weight"),
    (("thresholds",), {}, "thresholds"),
])
def test_validation_names_the_bad_key(raw, path, value, key):
    with pytest.raises(RuleSetError) as err:
        ruleset_from_dict(_broken(raw, path, value))
    assert str(err.value).startswith(key + ":"), str(err.value)


def test_not_a_mapping():
    with pytest.raises(RuleSetError):
        ruleset_from_dict(["version"])


def test_bad_yaml_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("version: [unclosed\n")
    with pytest.raises(RuleSetError, match="not valid YAML"):
        load_ruleset(p)


def test_edited_file_is_reloaded(tmp_path, raw):
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw))
    a = load_ruleset(p)
    raw2 = copy.deepcopy(raw)
    raw2["version"] = "2026.12-9"
    p.write_text(yaml.safe_dump(raw2) + "\n# edited\n")
    b = load_ruleset(p)
    assert (a.version, b.version) == ("2026.12-1", "2026.12-9")
