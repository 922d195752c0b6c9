"""AssessDeclaration: one assessment per declaration at its deadline, amendments, invalidations,
late evidence, consignments with no declaration."""
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
DEADLINE = 120 * H


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


def test_one_schema_valid_assessment_at_the_deadline():
    d = make_declaration()
    out, runner = run([decl_in(d), ev_in(d["declaration_id"], d["house_document"], "LATE_FILING", T0 + DAY)])
    assert len(out) == 1
    a = out[0]
    assert valid("RiskAssessment", a)
    assert a["assessment_id"] == f"{d['declaration_id']}:v1"
    assert a["event_time_ms"] == T0 + DEADLINE and a["processing_time_ms"] == 42
    assert a["score"] == 60 and a["alert"] and a["outcome"] == "CONTROL_ON_ARRIVAL"
    assert a["ruleset_version"] == RS.version
    assert runner.live_keys() == 0


def test_indicators_evaluated_on_the_latest_version():
    d = make_declaration(transport_mode="AIR")
    d2 = amend(d, goods=[dict(d["goods"][0], value=100.0)])  # undervalued in v2 only
    out, _ = run([decl_in(d), decl_in(d2)])
    assert [(a["declaration_version"], a["outcome"]) for a in out] == [(2, "HIGH_RISK_SCREENING")]
    assert out[0]["scorecard"][0]["code"] == "UNDERVALUATION"
    assert out[0]["event_time_ms"] == T0 + DEADLINE  # deadline from the first filing


def test_amendment_arriving_before_the_first_version():
    d = make_declaration()
    d2 = amend(d)
    a = DeclarationAssessor()
    s = a.on_event(None, DECLARATION, d2, CTX).state
    step = a.on_event(s, DECLARATION, d, CTX)
    assert step.state["decl"]["version"] == 2 and step.timers == [T0 + DEADLINE]


def test_evidence_about_an_older_version_is_ignored():
    d = make_declaration()
    d2 = amend(d)
    out, _ = run([decl_in(d), decl_in(d2),
                  ev_in(d["declaration_id"], d["house_document"], "MANIFEST_PACKAGES_MISMATCH", T0 + 2 * H, version=1),
                  ev_in(d["declaration_id"], d["house_document"], "TEST_SHIPMENT", T0 + 3 * H, version=2)])
    assert [e["code"] for e in out[0]["scorecard"]] == ["TEST_SHIPMENT"]


def test_invalidated_declaration_gets_no_assessment():
    d = make_declaration()
    out, runner = run([decl_in(d), decl_in(invalidate(d)),
                       ev_in(d["declaration_id"], d["house_document"], "CONTAINER_NOT_SEEN", T0 + DEADLINE - 1)])
    assert out == []
    assert runner.live_keys() == 0


def test_late_evidence_and_versions_after_the_decision_are_dropped():
    d = make_declaration()
    out, runner = run([decl_in(d),
                       ev_in(d["declaration_id"], d["house_document"], "SEAL_TAMPERING", T0 + DEADLINE + H),
                       decl_in(amend(d, filed_at_ms=T0 + DEADLINE + 2 * H))])
    assert len(out) == 1 and out[0]["scorecard"] == []
    assert runner.live_keys() == 0


def test_evidence_before_its_declaration_is_kept():
    d = make_declaration()
    out, _ = run([ev_in(d["declaration_id"], d["house_document"], "LATE_FILING", T0 - H), decl_in(d)])
    assert [e["code"] for e in out[0]["scorecard"]] == ["LATE_FILING"]


def test_orphan_evidence_is_dropped_eventually():
    out, runner = run([ev_in("NOPE", "H9", "LATE_FILING", T0)])
    assert out == [] and runner.live_keys() == 0


def test_house_key_assessment():
    out, runner = run([ev_in(None, "HB1", "UNDECLARED_CONSIGNMENT", T0)])
    assert len(out) == 1
    a = out[0]
    assert valid("RiskAssessment", a)
    assert (a["assessment_id"], a["declaration_id"], a["declaration_version"]) == ("HOUSE:HB1", None, None)
    assert a["alert"] and a["event_time_ms"] == T0 and not a["random_selection"]
    assert runner.live_keys() == 0


def test_repeated_evidence_is_bounded():
    d = make_declaration()
    inputs = [decl_in(d)] + [ev_in(d["declaration_id"], d["house_document"], "ROUTE_DEVIATION", T0 + i * 1000)
                             for i in range(500)]
    r = Runner(RS, checks=[], out_of_orderness_ms=0)
    for kind, rec, t in inputs:
        r.feed(kind, rec, t)
    assert len(r.states[-1][d["declaration_id"]]["evidence"]) == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["FILING", "AMENDMENT", "INVALIDATION", "EVIDENCE"]),
                          st.integers(0, 4 * 24)), min_size=1, max_size=25))
def test_at_most_one_assessment_per_declaration_and_state_bounded(ops):
    """Whatever the mix and order: <= 1 assessment per declaration, none when invalidated before
    the deadline, and no state left once every timer has fired."""
    base = {i: make_declaration(declaration_id=f"D{i}", house_document=f"H{i}") for i in range(6)}
    inputs = []
    invalidated = set()
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
            invalidated.add(f"D{i}")
    out, runner = run(inputs)
    ids = [a["declaration_id"] for a in out]
    assert len(ids) == len(set(ids))
    assert not invalidated & set(ids)
    assert runner.live_keys() == 0
