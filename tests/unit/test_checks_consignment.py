"""CrossCheckConsignment: declaration vs manifest lines, per house document."""
import pytest

from tests.unit.factories import (
    DAY,
    H,
    T0,
    amend,
    codes_for,
    invalidate,
    line_for,
    make_declaration,
    make_manifest,
    make_manifest_line,
    run_checks,
    valid,
)
from transforms.checks import ConsignmentCheck

CHECK = [ConsignmentCheck()]


def run(*records, **kw):
    return run_checks(*records, checks=CHECK, **kw)


def test_flattened_line_shape():
    d = make_declaration()
    line = make_manifest_line(d)
    assert line["house_document"] == d["house_document"]
    for f in ("manifest_id", "transport_mode", "conveyance_ref", "port_of_loading", "port_of_discharge", "filed_at_ms"):
        assert f in line
    assert valid("Manifest", make_manifest([line_for(d)]))


def test_agreeing_manifest_is_quiet_and_state_cleared():
    d = make_declaration()
    ev, assessments, runner = run(d, make_manifest([line_for(d, gross_mass_kg=101.5)]))  # 1.5%: within 10%
    assert ev == []
    assert len(assessments) == 1
    assert runner.live_keys() == 0


@pytest.mark.parametrize("override,code", [
    ({"packages": 12}, "MANIFEST_PACKAGES_MISMATCH"),
    ({"gross_mass_kg": 125.0}, "MANIFEST_MASS_MISMATCH"),
    ({"hs_code": "6109"}, "MANIFEST_HS_CHAPTER_MISMATCH"),
    ({"consignee_name": "Hamburg Fish Imports GmbH"}, "MANIFEST_CONSIGNEE_MISMATCH"),
    ({"container": "MSCU9999995"}, "MANIFEST_CONTAINER_MISMATCH"),
])
@pytest.mark.parametrize("manifest_first", [False, True])
def test_mismatch_either_order(override, code, manifest_first):
    d = make_declaration()
    m = make_manifest([line_for(d, **override)], filed_at_ms=T0 + (-12 * H if manifest_first else 12 * H))
    ev, _, runner = run(d, m)
    assert codes_for(ev, d["declaration_id"]) == {code}
    e = ev[0]
    assert e["kind"] == "CROSS_CHECK" and e["declaration_version"] == 1 and e["detail"]
    assert e["event_time_ms"] < d["filed_at_ms"] + 120 * H  # before the decision deadline
    assert runner.live_keys() == 0


def test_consignee_variant_is_not_a_mismatch():
    d = make_declaration()
    ev, _, _ = run(d, make_manifest([line_for(d, consignee_name="ROTTERDAM COMPUTER SUPPLIES B.V.")]))
    assert ev == []


def test_lines_of_one_manifest_are_summed():
    d = make_declaration(goods_overrides={"packages": 10, "gross_mass_kg": 100.0})
    m = make_manifest([line_for(d, packages=6, gross_mass_kg=60.0), line_for(d, packages=4, gross_mass_kg=40.0)])
    ev, _, _ = run(d, m)
    assert ev == []


def test_amendment_fixes_the_mismatch():
    d = make_declaration(goods_overrides={"packages": 10})
    d2 = amend(d)
    d2["goods"][0]["packages"] = 12
    ev, assessments, _ = run(d, make_manifest([line_for(d2)], filed_at_ms=T0 + 30 * 60_000), d2)
    assert ev == []
    assert assessments[0]["declaration_version"] == 2


def test_undeclared_line():
    line = make_manifest_line(manifest_overrides={"filed_at_ms": T0})
    ev, assessments, runner = run(line)
    assert [(e["code"], e["declaration_id"]) for e in ev] == [("UNDECLARED_CONSIGNMENT", None)]
    assert ev[0]["event_time_ms"] == T0 + 120 * H
    assert [a["house_document"] for a in assessments] == [line["house_document"]]
    assert assessments[0]["alert"] and assessments[0]["declaration_id"] is None
    assert runner.live_keys() == 0


def test_declared_later_but_before_deadline_is_not_undeclared():
    d = make_declaration(filed_at_ms=T0 + 2 * DAY)
    line = make_manifest_line(d, manifest_overrides={"filed_at_ms": T0})
    ev, _, _ = run(line, d)
    assert ev == []


def test_invalidated_declaration_with_a_line_is_undeclared():
    d = make_declaration()
    line = make_manifest_line(d, manifest_overrides={"filed_at_ms": T0 + 3 * H})
    ev, assessments, _ = run(d, invalidate(d), line)
    assert [e["code"] for e in ev] == ["UNDECLARED_CONSIGNMENT"]
    assert [a["declaration_id"] for a in assessments] == [None]


def test_late_line_after_decision_is_ignored():
    d = make_declaration()
    line = make_manifest_line(d, packages=99, manifest_overrides={"filed_at_ms": T0 + 6 * DAY})
    ev, _, _ = run(d, line)
    assert ev == []


# -- the carrier's manifest amendments (docs/scenarios.md: "packages fixed on both sides") ------------
def _packages_fixed_on_both_sides(wrong=12, right=10):
    """The shipper's first count (wrong) in declaration v1 and in the carrier's first line; both
    corrected: declaration v2, then the manifest again (same manifest_id) with the corrected line."""
    d = make_declaration(goods_overrides={"packages": wrong, "gross_mass_kg": 100.0})
    d2 = amend(d)
    d2["goods"][0]["packages"] = right
    m1 = make_manifest([line_for(d)], filed_at_ms=T0 + 30 * 60_000)
    m2 = make_manifest([line_for(d2)], manifest_id=m1["manifest_id"], filed_at_ms=T0 + 3 * H)
    return d, d2, m1, m2


@pytest.mark.parametrize("ordered", [True, False])
def test_manifest_amendment_replaces_the_earlier_line(ordered):
    d, d2, m1, m2 = _packages_fixed_on_both_sides()
    ev, assessments, runner = run(d, m1, d2, m2, ordered=ordered)  # unordered: the amendment may come first
    assert ev == []  # 10 packages on both sides: not 12 + 10 = 22, and the mass is not doubled
    assert assessments[0]["declaration_version"] == 2
    assert runner.live_keys() == 0


def test_manifest_amendment_that_keeps_a_mismatch_still_fires():
    d, d2, m1, m2 = _packages_fixed_on_both_sides()
    m2["lines"][0]["packages"] = 14  # the carrier's correction disagrees with the declaration v2
    ev, _, _ = run(d, m1, d2, m2)
    assert codes_for(ev, d["declaration_id"]) == {"MANIFEST_PACKAGES_MISMATCH"}
    assert "lists 14 packages" in ev[0]["detail"]


def test_another_manifest_of_the_same_house_document_is_not_replaced():
    """Only a record with the same manifest_id supersedes: a second carrier's manifest stands."""
    d, d2, m1, m2 = _packages_fixed_on_both_sides()
    other = make_manifest([line_for(d)], filed_at_ms=T0 + 3 * H)  # another manifest_id, the old count
    ev, _, _ = run(d, m1, d2, m2, other)
    assert codes_for(ev, d["declaration_id"]) == {"MANIFEST_PACKAGES_MISMATCH"}


def test_amended_line_keeps_the_undeclared_deadline_of_the_first():
    line = make_manifest_line(manifest_overrides={"filed_at_ms": T0})
    later = dict(line, packages=line["packages"] + 1, filed_at_ms=T0 + DAY)
    ev, _, runner = run(line, later)
    assert [(e["code"], e["event_time_ms"]) for e in ev] == [("UNDECLARED_CONSIGNMENT", T0 + 120 * H)]
    assert runner.live_keys() == 0
