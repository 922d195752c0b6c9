"""CrossCheckConsignment: declaration vs manifest lines, per house document.

Each input is applied at its own event time (transforms.checks._common.buffer_input): a mismatch is
reported when the input that shows it comes, a carrier's amendment that removes it retracts it, and
UNDECLARED_CONSIGNMENT is decided at the absence milestone of the first line (transforms.lifecycle)."""
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.factories import (
    bounded_shuffle,
    evidence_sequence,
    DAY,
    H,
    T0,
    amend,
    as_inputs,
    codes_for,
    drive,
    invalidate,
    last_assessments,
    line_for,
    make_declaration,
    make_manifest,
    make_manifest_line,
    run_checks,
    standing_codes,
    timeline,
    valid,
)
from transforms import lifecycle
from transforms.checks import ConsignmentCheck
from transforms.rules import load_ruleset
from transforms.runner import Runner
from transforms.topology import flatten_manifest

CHECK = [ConsignmentCheck()]
RS = load_ruleset()


def run(*records, **kw):
    return run_checks(*records, checks=CHECK, **kw)


def absence_of_line(line: dict) -> int:
    """The absence milestone of a manifest line with no declaration (from its manifest's times)."""
    return lifecycle.milestones(line["filed_at_ms"], line, RS).absence


def scorecard_codes(a: dict) -> set[str]:
    return {e["code"] for e in a["scorecard"]}


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
    # an answer on filing and the pre-arrival one; nothing re-assessed in between
    assert [a["phase"] for a in assessments] == [lifecycle.PRE_LOADING, lifecycle.PRE_ARRIVAL]
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
    ev, assessments, runner = run(d, m)
    assert codes_for(ev, d["declaration_id"]) == {code}
    [e] = ev
    assert e["kind"] == "CROSS_CHECK" and e["declaration_version"] == 1 and e["detail"] and not e.get("retracted")
    assert e["origin"] == f"CrossCheckConsignment:{d['house_document']}"
    # reported when the second of the two inputs shows it, not at a fixed deadline
    assert e["event_time_ms"] == max(d["filed_at_ms"], m["filed_at_ms"])
    assert code in scorecard_codes(last_assessments(assessments)[d["declaration_id"]])
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
    # between the manifest and the amendment, v1 disagreed with the manifest; v2 agrees
    assert timeline(ev) == [(d["declaration_id"], "MANIFEST_PACKAGES_MISMATCH", 1, False, T0 + 30 * 60_000)]
    assert codes_for([e for e in ev if e["declaration_version"] == 2], d["declaration_id"]) == set()
    last = last_assessments(assessments)[d["declaration_id"]]
    assert last["declaration_version"] == 2
    assert "MANIFEST_PACKAGES_MISMATCH" not in scorecard_codes(last)


def test_undeclared_line():
    line = make_manifest_line(manifest_overrides={"filed_at_ms": T0})
    ev, assessments, runner = run(line)
    assert [(e["code"], e["declaration_id"]) for e in ev] == [("UNDECLARED_CONSIGNMENT", None)]
    # decided at the line's absence milestone: expected loading (SEA stand-in) + absence_after_loading
    assert ev[0]["event_time_ms"] == absence_of_line(line) == T0 + 48 * H + 6 * H
    assert [a["house_document"] for a in assessments] == [line["house_document"]]
    assert assessments[0]["alert"] and assessments[0]["declaration_id"] is None
    assert runner.live_keys() == 0


def test_undeclared_only_at_the_absence_milestone_not_before():
    line = make_manifest_line(manifest_overrides={"filed_at_ms": T0})
    due = absence_of_line(line)
    out, state = drive(CHECK[0], [line])
    assert [(t, e["code"]) for t, e in out] == [(due, "UNDECLARED_CONSIGNMENT")]
    # a declaration filed one millisecond before the milestone is in time; at the milestone it is not
    d = make_declaration(house_document=line["house_document"], filed_at_ms=due - 1)
    ev, _, _ = run(line, d)
    assert codes_for(ev, None) == set()
    d = make_declaration(house_document=line["house_document"], filed_at_ms=due + 1)
    ev, _, _ = run(line, d)
    assert codes_for(ev, None) == {"UNDECLARED_CONSIGNMENT"}


def test_undeclared_at_the_absence_milestone_of_the_manifests_expected_loading():
    loading = T0 + 10 * DAY
    m = make_manifest([line_for(make_declaration())], filed_at_ms=T0, expected_loading_ms=loading,
                      expected_arrival_ms=loading + 20 * DAY)
    assert valid("Manifest", m)
    ev, _, _ = run(m)
    assert timeline(ev) == [(None, "UNDECLARED_CONSIGNMENT", None, False, loading + 6 * H)]


def test_declared_later_but_before_deadline_is_not_undeclared():
    d = make_declaration(filed_at_ms=T0 + 2 * DAY)
    line = make_manifest_line(d, manifest_overrides={"filed_at_ms": T0})
    ev, _, _ = run(line, d)
    assert ev == []


def test_invalidated_declaration_with_a_line_is_undeclared():
    d = make_declaration()
    line = make_manifest_line(d, manifest_overrides={"filed_at_ms": T0 + 3 * H})
    ev, assessments, _ = run(d, invalidate(d), line)
    assert timeline(ev) == [(None, "UNDECLARED_CONSIGNMENT", None, False, absence_of_line(line))]
    # the filing had its pre-loading answer before it was withdrawn; nothing after that
    assert [(a["declaration_id"], a["phase"]) for a in assessments] == [
        (d["declaration_id"], lifecycle.PRE_LOADING), (None, lifecycle.PRE_ARRIVAL)]


def test_late_line_still_reassesses_until_the_lifecycle_closes():
    """A line weeks after the filing (a delayed manifest) still re-assesses: the lifecycle is open."""
    d = make_declaration()
    t = T0 + 6 * DAY
    line = make_manifest_line(d, packages=99, manifest_overrides={"filed_at_ms": t})
    ev, assessments, _ = run(d, line)
    assert timeline(ev) == [(d["declaration_id"], "MANIFEST_PACKAGES_MISMATCH", 1, False, t)]
    re = [a for a in assessments if a["phase"] == lifecycle.RE_ASSESSMENT]
    assert [(a["event_time_ms"], a["trigger"]) for a in re] == [(t, "MANIFEST_PACKAGES_MISMATCH")]


def test_line_after_the_lifecycle_closed_is_ignored():
    d = make_declaration()
    close = lifecycle.milestones(d["filed_at_ms"], d, RS).close
    line = make_manifest_line(d, packages=99, manifest_overrides={"filed_at_ms": close + H})
    ev, _, runner = run(d, line)
    assert ev == []  # neither a mismatch nor an undeclared consignment: the declaration is known
    assert runner.live_keys() == 0


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


@pytest.mark.parametrize("ooo", [0, 6 * H])
def test_manifest_amendment_replaces_the_earlier_line(ooo):
    d, d2, m1, m2 = _packages_fixed_on_both_sides()
    # with out-of-orderness, the manifest amendment may come first
    records = (d, m1, d2, m2) if ooo == 0 else (m2, d2, m1, d)
    ev, assessments, runner = run(*records, ordered=ooo == 0, out_of_orderness_ms=ooo)
    did = d["declaration_id"]
    # v2 (10) disagrees with the carrier's first line (12) until the carrier corrects it: then the
    # finding is retracted; 10 packages on both sides: not 12 + 10 = 22, and the mass is not doubled
    assert timeline(ev) == [(did, "MANIFEST_PACKAGES_MISMATCH", 2, False, d2["filed_at_ms"]),
                            (did, "MANIFEST_PACKAGES_MISMATCH", 2, True, m2["filed_at_ms"])]
    assert ev[1]["points"] == 0.0
    assert standing_codes(ev, did) == set()
    last = last_assessments(assessments)[did]
    assert last["declaration_version"] == 2 and scorecard_codes(last) == set()
    assert runner.live_keys() == 0


def test_carriers_amendment_that_removes_a_mismatch_retracts_it():
    d = make_declaration(goods_overrides={"packages": 10})
    m1 = make_manifest([line_for(d, packages=12)], filed_at_ms=T0 + 6 * H)
    m2 = make_manifest([line_for(d)], manifest_id=m1["manifest_id"], filed_at_ms=T0 + 2 * DAY)
    ev, assessments, _ = run(d, m1, m2)
    did = d["declaration_id"]
    assert timeline(ev) == [(did, "MANIFEST_PACKAGES_MISMATCH", 1, False, m1["filed_at_ms"]),
                            (did, "MANIFEST_PACKAGES_MISMATCH", 1, True, m2["filed_at_ms"])]
    assert ev[1]["origin"] == ev[0]["origin"] == f"CrossCheckConsignment:{d['house_document']}"
    mine = [a for a in assessments if a["declaration_id"] == did]
    assert [(a["phase"], a["trigger"], a["event_time_ms"]) for a in mine[:3]] == [
        (lifecycle.PRE_LOADING, "FILING", T0),
        (lifecycle.RE_ASSESSMENT, "MANIFEST_PACKAGES_MISMATCH", m1["filed_at_ms"]),
        (lifecycle.RE_ASSESSMENT, "MANIFEST_PACKAGES_MISMATCH retracted", m2["filed_at_ms"])]
    assert "MANIFEST_PACKAGES_MISMATCH" in scorecard_codes(mine[1])
    assert scorecard_codes(mine[2]) == set() and mine[2]["score"] < mine[1]["score"]


def test_manifest_amendment_that_keeps_a_mismatch_still_fires():
    d, d2, m1, m2 = _packages_fixed_on_both_sides()
    m2["lines"][0]["packages"] = 14  # the carrier's correction disagrees with the declaration v2
    ev, _, _ = run(d, m1, d2, m2)
    did = d["declaration_id"]
    # v2 disagrees with the first line (12) and still with the amended one (14): never retracted
    assert timeline(ev) == [(did, "MANIFEST_PACKAGES_MISMATCH", 2, False, d2["filed_at_ms"])]
    assert standing_codes(ev, did) == {"MANIFEST_PACKAGES_MISMATCH"}
    assert "declaration v2 10" in ev[0]["detail"]
    # the amended line alone gives the same finding, with its own count
    ev, _, _ = run(d2, make_manifest([line_for(d2, packages=14)]))
    assert standing_codes(ev, did) == {"MANIFEST_PACKAGES_MISMATCH"} and "lists 14 packages" in ev[0]["detail"]


def test_another_manifest_of_the_same_house_document_is_not_replaced():
    """Only a record with the same manifest_id supersedes: a second carrier's manifest stands."""
    d, d2, m1, m2 = _packages_fixed_on_both_sides()
    other = make_manifest([line_for(d)], filed_at_ms=T0 + 3 * H)  # another manifest_id, the old count
    ev, _, _ = run(d, m1, d2, m2, other)
    assert standing_codes(ev, d["declaration_id"]) == {"MANIFEST_PACKAGES_MISMATCH"}


def test_amended_line_keeps_the_undeclared_deadline_of_the_first():
    line = make_manifest_line(manifest_overrides={"filed_at_ms": T0})
    later = dict(line, packages=line["packages"] + 1, filed_at_ms=T0 + DAY)
    assert absence_of_line(later) != absence_of_line(line)
    ev, _, runner = run(line, later)
    assert [(e["code"], e["event_time_ms"]) for e in ev] == [("UNDECLARED_CONSIGNMENT", absence_of_line(line))]
    assert runner.live_keys() == 0


def test_state_cleared_after_the_lifecycle_closes():
    d = make_declaration()
    m = make_manifest([line_for(d)])
    [line] = flatten_manifest(m)
    decl_end = lifecycle.milestones(d["filed_at_ms"], d, RS).close + RS.state_retention_ms
    line_end = lifecycle.milestones(line["filed_at_ms"], line, RS).close + RS.state_retention_ms
    assert line_end > decl_end  # the line was filed later: its own lifecycle keeps the key longer
    r = Runner(checks=CHECK, out_of_orderness_ms=0, now_ms=lambda: 0)
    for kind, rec, t in as_inputs(d, m):
        r.feed(kind, rec, t)
    r.advance(decl_end - 1)
    assert [len(s) for s in r.states] == [1, 1]  # the check's key; the assessor's tombstone
    r.advance(decl_end)
    assert [len(s) for s in r.states] == [1, 0]
    assert r.held_units()["manifests"] == 1 and r.ledger.pending("manifests") == 1
    r.advance(line_end - 1)
    assert r.live_keys() == 1
    r.advance(line_end)
    assert r.live_keys() == 0 and r.held_units()["manifests"] == 0
    assert r.ledger.as_dict()["manifests"] == {"units_in": 1, "cross_checked": 1}


# -- out of order within the watermark: the same evidence as in order --------------------------------
def _mixed_records(rnd: random.Random) -> list[dict]:
    d = make_declaration(goods_overrides={"packages": 10})
    d2 = amend(d, filed_at_ms=T0 + rnd.randrange(H, 2 * DAY))
    d2["goods"][0]["packages"] = rnd.choice((10, 11))
    m1 = make_manifest([line_for(d, packages=rnd.choice((10, 12)))], filed_at_ms=T0 + rnd.randrange(-DAY, DAY))
    m2 = make_manifest([line_for(d, packages=rnd.choice((10, 11, 13)), hs_code=rnd.choice(("8471", "6109")))],
                       manifest_id=m1["manifest_id"], filed_at_ms=m1["filed_at_ms"] + rnd.randrange(1, DAY))
    undeclared = make_manifest_line(manifest_overrides={"filed_at_ms": T0 + rnd.randrange(0, DAY)})
    return [d, d2, m1, m2, undeclared]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([H, 12 * H, 3 * DAY]))
def test_out_of_order_within_the_watermark_gives_the_same_evidence(seed, ooo):
    rnd = random.Random(seed)
    inputs = as_inputs(*_mixed_records(rnd))
    shuffled = bounded_shuffle(inputs, ooo, rnd)
    assert evidence_sequence(CHECK, shuffled, ooo) == evidence_sequence(CHECK, inputs, ooo)


