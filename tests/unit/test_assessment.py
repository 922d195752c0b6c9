"""AssessDeclaration: the assessment lifecycle (pre-loading on filing, re-assessment on evidence,
pre-arrival), amendments, invalidations, held outcomes, late evidence, consignments with no
declaration."""
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.factories import DAY, H, T0, amend, invalidate, make_declaration, valid
from transforms.assessment import DeclarationAssessor
from transforms.reference import load_reference
from transforms.rules import load_ruleset
from transforms.runner import Runner
from transforms.state_machine import DECLARATION, EVIDENCE, Context, evidence

RS = load_ruleset()
CTX = Context(RS, load_reference(), now_ms=lambda: 42)
A = DeclarationAssessor()
LOADING = 48 * H  # the stand-in times of a sea filing with no expected times (rule set lifecycle)
FINAL = LOADING + 720 * H - H  # expected arrival - final_before_arrival


def run(inputs):
    """Drive the assessor alone through the reference runner: inputs are (kind, record, t)."""
    r = Runner(RS, checks=[], out_of_orderness_ms=0, now_ms=lambda: 42)
    for kind, rec, t in inputs:
        r.feed(kind, rec, t)
    return r.finish(), r


def decl_in(d):
    return DECLARATION, d, d["filed_at_ms"]


def ev_in(did, house, code, t, version=None, points=None):
    e = evidence(did, house, code, f"{code} detail", t)
    if version is not None:
        e["declaration_version"] = version
    if points is not None:
        e["points"] = points
    return EVIDENCE, e, t


def test_keys():
    d = make_declaration()
    assert A.key_of(DECLARATION, d) == [d["declaration_id"]]
    assert A.key_of(EVIDENCE, evidence("D1", "H1", "X", "", 0)) == ["D1"]
    assert A.key_of(EVIDENCE, evidence(None, "H1", "X", "", 0)) == ["HOUSE:H1"]
    assert A.key_of("container_event", {}) == []


def by_phase(out):
    return [(a["phase"], a["outcome"]) for a in out]


def test_pre_loading_on_filing_and_pre_arrival_at_the_final_milestone():
    d = make_declaration()
    out, runner = run([decl_in(d), ev_in(d["declaration_id"], d["house_document"], "LATE_FILING", T0 + DAY)])
    assert [a["phase"] for a in out] == ["PRE_LOADING", "RE_ASSESSMENT", "PRE_ARRIVAL"]
    for a in out:
        assert valid("RiskAssessment", a)
    first, again, final = out
    assert first["assessment_id"] == f"{d['declaration_id']}#1" and first["supersedes"] is None
    assert first["event_time_ms"] == T0 and first["processing_time_ms"] == 42  # event time zero
    assert (first["score"], first["outcome"], first["trigger"]) == (0, "ASSESSMENT_COMPLETE", "FILING")
    assert again["event_time_ms"] == T0 + DAY and again["trigger"] == "LATE_FILING"
    # LATE_FILING shows the container loaded: a control on arrival
    assert (again["score"], again["outcome"], again["escalated"]) == (60, "CONTROL_ON_ARRIVAL", True)
    assert (again["sequence"], again["supersedes"]) == (2, first["assessment_id"])
    assert final["event_time_ms"] == T0 + FINAL and final["outcome"] == "CONTROL_ON_ARRIVAL"
    assert not final["escalated"] and final["trigger"] == "DEADLINE"
    assert final["expected_loading_ms"] == T0 + LOADING and final["expected_arrival_ms"] == T0 + FINAL + H
    assert final["ruleset_version"] == RS.version
    assert runner.live_keys() == 0


def test_the_filings_own_expected_times_set_the_milestones():
    d = make_declaration(transport_mode="AIR", containers=[], seals=[], expected_loading_ms=T0 + 3 * H,
                         expected_arrival_ms=T0 + 15 * H)
    out, _ = run([decl_in(d)])
    assert [(a["phase"], a["event_time_ms"]) for a in out] == [("PRE_LOADING", T0), ("PRE_ARRIVAL", T0 + 14 * H)]


def test_an_amendment_re_assesses_on_the_latest_version():
    d = make_declaration(transport_mode="AIR")
    d2 = amend(d, goods=[dict(d["goods"][0], value=100.0)], filed_at_ms=T0 + H)  # undervalued in v2 only
    out, _ = run([decl_in(d), decl_in(d2)])
    assert [(a["phase"], a["declaration_version"], a["outcome"]) for a in out] == [
        ("PRE_LOADING", 1, "ASSESSMENT_COMPLETE"), ("RE_ASSESSMENT", 2, "HIGH_RISK_SCREENING"),
        ("PRE_ARRIVAL", 2, "CONTROL_ON_ARRIVAL")]
    assert out[1]["trigger"] == "AMENDMENT v2" and out[1]["event_time_ms"] == T0 + H
    assert out[1]["scorecard"][0]["code"] == "UNDERVALUATION"


def test_an_amendment_may_lower_the_outcome_and_says_so():
    d = make_declaration(transport_mode="AIR", goods_overrides={"value": 100.0})
    d2 = amend(d, goods=[dict(d["goods"][0], value=30_000.0)], filed_at_ms=T0 + H)
    out, _ = run([decl_in(d), decl_in(d2)])
    assert by_phase(out)[:2] == [("PRE_LOADING", "HIGH_RISK_SCREENING"), ("RE_ASSESSMENT", "ASSESSMENT_COMPLETE")]
    assert "lowered from HIGH_RISK_SCREENING by version 2" in out[1]["outcome_note"]


def test_a_retraction_re_assesses_and_lowers_the_score():
    d = make_declaration(transport_mode="AIR", goods_overrides={"value": 100.0})
    did, house = d["declaration_id"], d["house_document"]
    retraction = dict(evidence(did, house, "MANIFEST_PACKAGES_MISMATCH", "gone", T0 + 2 * H), retracted=True,
                      points=0.0)
    out, _ = run([decl_in(d), ev_in(did, house, "MANIFEST_PACKAGES_MISMATCH", T0 + H, points=60),
                  (EVIDENCE, retraction, T0 + 2 * H)])
    assert out[1]["trigger"] == "MANIFEST_PACKAGES_MISMATCH" and out[1]["score"] > out[0]["score"]
    assert out[2]["trigger"] == "MANIFEST_PACKAGES_MISMATCH retracted"
    assert (out[2]["score"], out[2]["outcome"]) == (out[0]["score"], "HIGH_RISK_SCREENING")


def test_held_outcome_when_evidence_lowers_the_score():
    """The model's probability may fall as evidence comes; the outcome it gave stays."""
    d = make_declaration(transport_mode="AIR")
    did, house = d["declaration_id"], d["house_document"]
    state = A.on_event(None, DECLARATION, d, CTX).state
    state["last"] = {"id": f"{did}#1", "score": 80.0, "outcome": "DO_NOT_LOAD"}
    state["peak"] = 3
    state = A.on_timer(state, T0, CTX).state
    state = A.on_event(state, EVIDENCE, ev_in(did, house, "TEST_SHIPMENT", T0 + H)[1], CTX).state
    step = A.on_timer(state, T0 + H, CTX)
    (a,) = step.outputs
    assert a["outcome"] == "DO_NOT_LOAD" and a["score"] < 60 and not a["escalated"]
    assert a["outcome_note"].startswith("held at DO_NOT_LOAD")


def test_amendment_arriving_before_the_first_version():
    d = make_declaration()
    d2 = amend(d, filed_at_ms=T0 + H)
    out, _ = run([decl_in(d2), decl_in(d)])
    # the first message seen is answered at once; in event time, v1 then v2 are applied
    assert out[0]["declaration_version"] == 2 and out[0]["phase"] == "PRE_LOADING"
    assert out[-1]["declaration_version"] == 2 and out[-1]["phase"] == "PRE_ARRIVAL"


def test_evidence_about_an_older_version_is_ignored():
    d = make_declaration()
    d2 = amend(d)
    out, _ = run([decl_in(d), decl_in(d2),
                  ev_in(d["declaration_id"], d["house_document"], "MANIFEST_PACKAGES_MISMATCH", T0 + 2 * H, version=1),
                  ev_in(d["declaration_id"], d["house_document"], "TEST_SHIPMENT", T0 + 3 * H, version=2)])
    assert [e["code"] for e in out[-1]["scorecard"]] == ["TEST_SHIPMENT"]


def test_invalidated_declaration_gets_no_assessment_after_its_withdrawal():
    d = make_declaration()
    out, runner = run([decl_in(d), decl_in(invalidate(d)),
                       ev_in(d["declaration_id"], d["house_document"], "CONTAINER_NOT_SEEN", T0 + LOADING)])
    assert [a["phase"] for a in out] == ["PRE_LOADING"]  # answered on filing, then withdrawn
    assert runner.live_keys() == 0


def test_evidence_of_a_delayed_voyage_re_assesses_after_the_final_until_the_close():
    d = make_declaration()
    did, house = d["declaration_id"], d["house_document"]
    out, runner = run([decl_in(d), ev_in(did, house, "SEAL_TAMPERING", T0 + FINAL + 10 * H),
                       ev_in(did, house, "ROUTE_DEVIATION", T0 + FINAL + H + RS.state_retention_ms + H),
                       decl_in(amend(d, filed_at_ms=T0 + FINAL + H + RS.state_retention_ms + 2 * H))])
    assert [a["phase"] for a in out] == ["PRE_LOADING", "PRE_ARRIVAL", "RE_ASSESSMENT"]
    assert out[-1]["trigger"] == "SEAL_TAMPERING"
    assert "ROUTE_DEVIATION" not in {e["code"] for e in out[-1]["scorecard"]}  # after the close: dropped
    assert len(runner.late) == 1  # the version after the close is a LATE dead letter
    assert runner.live_keys() == 0


def test_evidence_before_its_declaration_is_kept():
    d = make_declaration()
    out, _ = run([ev_in(d["declaration_id"], d["house_document"], "LATE_FILING", T0 - H), decl_in(d)])
    assert out[0]["scorecard"] == []  # the pre-loading answer is the filing's alone
    assert [e["code"] for e in out[-1]["scorecard"]] == ["LATE_FILING"]


def test_orphan_evidence_is_dropped_eventually():
    out, runner = run([ev_in("NOPE", "H9", "LATE_FILING", T0)])
    assert out == [] and runner.live_keys() == 0


def test_house_key_assessment():
    out, runner = run([ev_in(None, "HB1", "UNDECLARED_CONSIGNMENT", T0)])
    assert len(out) == 1
    a = out[0]
    assert valid("RiskAssessment", a)
    assert (a["assessment_id"], a["declaration_id"], a["declaration_version"]) == ("HOUSE:HB1#1", None, None)
    assert a["alert"] and a["escalated"] and a["event_time_ms"] == T0 and not a["random_selection"]
    assert runner.live_keys() == 0


def test_repeated_evidence_is_bounded():
    d = make_declaration()
    inputs = [decl_in(d)] + [ev_in(d["declaration_id"], d["house_document"], "ROUTE_DEVIATION", T0 + i * 1000)
                             for i in range(500)]
    r = Runner(RS, checks=[], out_of_orderness_ms=0)
    for kind, rec, t in inputs:
        r.feed(kind, rec, t)
    assert len(r.states[-1][d["declaration_id"]]["evidence"]) == 1
    r.finish()
    assert sum(a["trigger"] == "ROUTE_DEVIATION" for a in r.assessments) == 1  # re-assessed once, not 500 times


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["FILING", "AMENDMENT", "INVALIDATION", "EVIDENCE"]),
                          st.integers(0, 4 * 24)), min_size=1, max_size=25))
def test_lifecycle_invariants_and_state_bounded(ops):
    """Whatever the mix and order: one pre-loading answer per declaration seen, first; sequence
    numbers 1, 2, ... each superseding the one before; at most one pre-arrival assessment, none
    after a withdrawal; an escalation only above every earlier outcome; no state left."""
    from transforms.lifecycle import SEVERITY
    base = {i: make_declaration(declaration_id=f"D{i}", house_document=f"H{i}") for i in range(6)}
    inputs = []
    invalidated_at = {}
    version = {i: 1 for i in base}
    for i, op, hour in sorted(ops, key=lambda o: o[2]):
        t = T0 + hour * H
        if op == "EVIDENCE":
            inputs.append(ev_in(f"D{i}", f"H{i}", "ROUTE_DEVIATION", t))
            continue
        rec = dict(base[i], message_type=op, version=version[i], filed_at_ms=t)
        version[i] += 1
        inputs.append(decl_in(rec))
        if op == "INVALIDATION":
            invalidated_at.setdefault(f"D{i}", t)
    out, runner = run(inputs)
    per = {}
    for a in out:
        per.setdefault(a["declaration_id"], []).append(a)
    for did, seq in per.items():
        assert seq[0]["phase"] == "PRE_LOADING"
        assert [a["sequence"] for a in seq] == list(range(1, len(seq) + 1))
        assert all(b["supersedes"] == a["assessment_id"] for a, b in zip(seq, seq[1:]))
        assert sum(a["phase"] == "PRE_ARRIVAL" for a in seq) <= 1
        if did in invalidated_at:
            assert all(a["event_time_ms"] <= invalidated_at[did] for a in seq)
        peak = -1
        for a in seq:
            assert a["escalated"] == (SEVERITY[a["outcome"]] > peak)
            peak = max(peak, SEVERITY[a["outcome"]]) if not (a["outcome_note"] or "").startswith("lowered") \
                else SEVERITY[a["outcome"]]
    assert runner.live_keys() == 0
