"""Nothing lost (transforms.ledger): every input ends as exactly one final disposition or is
still held in state, and the pending count equals what the keyed state really holds."""
from __future__ import annotations

import copy
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.factories import (DAY, H, T0, amend, as_inputs, honest_journey, invalidate, line_for,
                                  make_container_event, make_declaration, make_manifest)
from transforms import ledger, lifecycle
from transforms.rules import load_ruleset
from transforms.runner import Runner


def control_result(decl: dict) -> dict:
    return {"declaration_id": decl["declaration_id"], "declaration_version": 1, "control_type": "DOCUMENTARY",
            "finding": "NO_FINDING", "seizure_category": None, "recovered_amount_eur": None,
            "controlled_at_ms": decl["filed_at_ms"] + 3 * DAY, "officer_unit": "NLRTM-01"}


def assert_balanced(runner: Runner) -> None:
    """units in = final + pending for every stream, and pending = units the states hold."""
    book = runner.ledger
    assert book.unbalanced() == [], book.as_dict()
    held = runner.held_units()
    for stream, n in held.items():
        assert book.pending(stream) == n, (stream, book.as_dict(), held)


def feed_all(runner: Runner, inputs, check_every: int = 1) -> None:
    for i, (kind, record, t) in enumerate(inputs):
        runner.feed(kind, record, t)
        if i % check_every == 0:
            assert_balanced(runner)


def known_mix():
    """A mix whose every record's end is known: returns (inputs, expected dispositions per stream)."""
    a, b, c, d = (make_declaration(filed_at_ms=T0 + i * H) for i in range(4))
    a2 = amend(a)  # a: v1 and v2 folded into one assessment
    b_inv = invalidate(b)  # b: withdrawn before its decision
    # after c's lifecycle closed (expected arrival + retention), in its tombstone: LATE
    c_late = amend(c, filed_at_ms=lifecycle.milestones(c["filed_at_ms"], c, load_ruleset()).close + H)
    manifest = make_manifest([line_for(a), line_for(c), line_for(d)])
    manifest_amended = make_manifest([line_for(a, packages=99)], manifest_id=manifest["manifest_id"],
                                     filed_at_ms=manifest["filed_at_ms"] + H)  # replaces a's line
    no_house = make_manifest([line_for(d, house_document=None)])
    journey = honest_journey(a)  # 6 actual events on a's container
    planned = make_container_event(a["containers"][0], "LOAD", T0 + 40 * H, classifier="PLN")
    repeat = copy.deepcopy(journey[3])
    records = [a, a2, b, b_inv, c, d, copy.deepcopy(d), c_late, manifest, manifest_amended, no_house,
               *journey, planned, repeat, control_result(a)]
    expected = {
        # a: v1 + v2 and d: twice, each folded into one lifecycle; c: v1 assessed, v2 late
        "declarations": {"units_in": 8, "assessed": 5, "withdrawn": 1, "invalidation": 1, "late": 1},
        "manifests": {"units_in": 5, "cross_checked": 3, "superseded": 1, "no_key": 1},
        "container_events": {"units_in": 8, "cross_checked": 6, "not_actual": 1, "duplicate": 1},
        "control_results": {"units_in": 1, "not_used": 1},
    }
    return as_inputs(*records), expected


def test_known_mix_ends_exactly_as_expected():
    inputs, expected = known_mix()
    runner = Runner(now_ms=lambda: 0)
    feed_all(runner, inputs)
    assert sum(runner.ledger.pending(s) for s in expected) > 0  # held while lifecycles are open
    runner.finish()
    assert_balanced(runner)
    assert runner.ledger.as_dict() == expected
    filed = {r["declaration_id"] for k, r, _ in inputs if k == "declaration"}
    withdrawn = inputs_withdrawn(inputs)
    # one lifecycle each; the withdrawn one had its answer on filing and nothing after
    assert {a["declaration_id"] for a in runner.assessments} == filed
    assert [a["phase"] for a in runner.assessments if a["declaration_id"] == withdrawn] == [lifecycle.PRE_LOADING]
    done = {a["declaration_id"] for a in runner.assessments if a["phase"] == lifecycle.PRE_ARRIVAL}
    assert done == filed - {withdrawn}
    # the late version changed nothing: c's lifecycle has one version
    c_id = next(r["declaration_id"] for _, r, why in runner.late)
    assert {a["declaration_version"] for a in runner.assessments if a["declaration_id"] == c_id} == {1}


def inputs_withdrawn(inputs) -> str:
    [did] = [r["declaration_id"] for k, r, _ in inputs if k == "declaration" and r["message_type"] == "INVALIDATION"]
    return did


def test_late_declaration_is_returned_with_its_reason():
    inputs, _ = known_mix()
    runner = Runner(now_ms=lambda: 0)
    feed_all(runner, inputs)
    runner.finish()
    [(kind, record, why)] = runner.late
    assert kind == "declaration" and record["version"] == 2 and "after the declaration was closed" in why


def test_every_declaration_assessed_or_accounted_in_generated_traffic(tmp_path):
    from generator.traffic import generate
    from pipelines.training import traffic_inputs

    generate(tmp_path, days=2, seed=11, declarations_per_day=150)
    runner = Runner(now_ms=lambda: 0)
    feed_all(runner, traffic_inputs(tmp_path), check_every=97)
    runner.finish()
    assert_balanced(runner)
    book = runner.ledger.as_dict()
    for stream in ("declarations", "manifests", "container_events"):
        assert "pending" not in book[stream]
        assert book[stream]["units_in"] > 0
    assessed_ids = {a["declaration_id"] for a in runner.assessments if a["declaration_id"]}
    assert book["declarations"]["assessed"] >= len(assessed_ids)


@st.composite
def messy_streams(draw):
    """Declarations with amendments, invalidations, duplicates and late versions; manifests with
    amendments and missing houses; journeys with planned and repeated events; any arrival order
    within a jitter."""
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    records = []
    for i in range(draw(st.integers(1, 8))):
        d = make_declaration(filed_at_ms=T0 + rnd.randrange(0, 3 * DAY))
        records.append(d)
        if rnd.random() < 0.3:
            records.append(amend(d, filed_at_ms=d["filed_at_ms"] + rnd.randrange(0, 3 * DAY)))
        if rnd.random() < 0.2:
            records.append(invalidate(d, filed_at_ms=d["filed_at_ms"] + rnd.randrange(0, 2 * DAY)))
        if rnd.random() < 0.2:
            records.append(copy.deepcopy(d))
        if rnd.random() < 0.7:
            m = make_manifest([line_for(d)] + ([line_for(d, house_document=None)] if rnd.random() < 0.2 else []),
                              filed_at_ms=d["filed_at_ms"] + rnd.randrange(-DAY, DAY))
            records.append(m)
            if rnd.random() < 0.3:
                records.append(make_manifest([line_for(d, packages=7)], manifest_id=m["manifest_id"],
                                             filed_at_ms=m["filed_at_ms"] + rnd.choice((-H, H))))
        if rnd.random() < 0.7:
            journey = honest_journey(d)
            records.extend(journey)
            if rnd.random() < 0.3:
                records.append(copy.deepcopy(rnd.choice(journey)))
            if rnd.random() < 0.3:
                records.append(make_container_event(d["containers"][0], "DISC", d["filed_at_ms"] + 80 * H,
                                                    classifier=rnd.choice(("PLN", "EST"))))
        if rnd.random() < 0.2:
            records.append(control_result(d))
    inputs = as_inputs(*records)
    jitter = draw(st.sampled_from([0, H, 12 * H, 3 * DAY]))
    inputs.sort(key=lambda x: x[2] + rnd.randrange(0, jitter + 1))
    ooo = draw(st.sampled_from([0, 10 * 60_000, 6 * H]))
    return inputs, ooo


@settings(max_examples=60, deadline=None)
@given(messy_streams())
def test_ledger_balances_at_every_step_and_nothing_is_left(stream):
    inputs, ooo = stream
    runner = Runner(now_ms=lambda: 0, out_of_orderness_ms=ooo)
    feed_all(runner, inputs)
    runner.finish()
    assert_balanced(runner)
    book = runner.ledger
    for s in ("declarations", "manifests", "container_events"):
        assert book.pending(s) == 0
    assert runner.live_keys() == 0
    # every LATE disposition is a record handed back for the dead letters
    assert len(runner.late) == book.settled.get("declarations", {}).get(ledger.LATE, 0)
    # one lifecycle per declaration: its assessments numbered 1, 2, ... in order, one pre-loading
    # answer, and one pre-arrival one unless withdrawn before it
    withdrawn = {r["declaration_id"] for k, r, _ in inputs if k == "declaration" and r["message_type"] == "INVALIDATION"}
    by_id: dict = {}
    for a in runner.assessments:
        if a["declaration_id"]:
            by_id.setdefault(a["declaration_id"], []).append(a)
    for did, seq in by_id.items():
        assert [a["sequence"] for a in seq] == list(range(1, len(seq) + 1)), did
        assert seq[0]["phase"] == lifecycle.PRE_LOADING and seq[0]["trigger"] == "FILING"
        assert [a["phase"] for a in seq].count(lifecycle.PRE_ARRIVAL) == (0 if did in withdrawn else 1), did
        assert len({a["assessment_id"] for a in seq}) == len(seq)
