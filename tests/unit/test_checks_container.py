"""CrossCheckContainer: late filing, route deviation, seal tampering, reuse, not seen."""
import pytest

from tests.unit.factories import (
    DAY,
    H,
    T0,
    amend,
    codes_for,
    honest_journey,
    invalidate,
    make_container_event,
    make_declaration,
    party,
    run_checks,
)
from transforms.checks import ContainerCheck

CHECK = [ContainerCheck()]


def run(*records, **kw):
    return run_checks(*records, checks=CHECK, **kw)


def test_key_of():
    d = make_declaration(containers=["MSCU1111110", "MSCU2222226"])
    assert CHECK[0].key_of("declaration", d) == ["MSCU1111110", "MSCU2222226"]
    assert CHECK[0].key_of("container_event", make_container_event("MSCU1111110", "LOAD", T0)) == ["MSCU1111110"]
    assert CHECK[0].key_of("container_event", make_container_event(None, "DEPA", T0, event_type="TRANSPORT")) == []


@pytest.mark.parametrize("transship,itinerary", [((), ["CN", "NL"]), (("SGSIN",), ["CN", "SG", "NL"])])
def test_honest_journey_is_quiet_and_state_cleared(transship, itinerary):
    d = make_declaration(itinerary=itinerary)
    ev, _, runner = run(d, *honest_journey(d, transship))
    assert ev == []
    assert runner.live_keys() == 0


def _late_load(d, hours_before=6):
    c = d["containers"][0]
    T = d["filed_at_ms"]
    return [
        make_container_event(c, "STUF", T - 30 * H, "CNSHA", d["seals"]),
        make_container_event(c, "LOAD", T - hours_before * H, "CNSHA", d["seals"]),
        make_container_event(c, "DISC", T + 60 * H, "NLRTM", d["seals"]),
    ]


@pytest.mark.parametrize("declaration_first", [False, True])
def test_late_filing_either_order(declaration_first):
    d = make_declaration()
    events = _late_load(d)
    records = [d, *events] if declaration_first else [*events, d]
    ev, _, runner = run(*records, ordered=False, out_of_orderness_ms=3 * DAY)
    assert codes_for(ev, d["declaration_id"]) == {"LATE_FILING"}
    assert "before the declaration was filed" in ev[0]["detail"]
    assert runner.live_keys() == 0


def test_load_after_filing_is_not_late():
    d = make_declaration()
    ev, _, _ = run(d, *_late_load(d, hours_before=-20))
    assert "LATE_FILING" not in codes_for(ev, d["declaration_id"])


def test_route_deviation():
    d = make_declaration(itinerary=["CN", "NL"])
    ev, _, _ = run(d, *honest_journey(d, transship=("AEJEA",)))
    assert codes_for(ev, d["declaration_id"]) == {"ROUTE_DEVIATION"}
    assert "AEJEA" in ev[0]["detail"]


def test_planned_events_are_not_facts():
    d = make_declaration(itinerary=["CN", "NL"])
    c = d["containers"][0]
    plan = make_container_event(c, "DISC", d["filed_at_ms"] + 50 * H, "AEJEA", d["seals"], classifier="PLN")
    ev, _, _ = run(d, *honest_journey(d), plan)
    assert ev == []


def _journey_with(d, middle, final_seals=None):
    c, s, T = d["containers"][0], d["seals"], d["filed_at_ms"]
    return [make_container_event(c, "STUF", T - 10 * H, "CNSHA", s),
            make_container_event(c, "LOAD", T + 30 * H, "CNSHA", s),
            *middle(c, s, T),
            make_container_event(c, "GTOT", T + 95 * H, "NLRTM", s if final_seals is None else final_seals)]


def test_seal_changed_between_events():
    d = make_declaration()
    ev, _, _ = run(d, *_journey_with(d, lambda c, s, T: [make_container_event(c, "DISC", T + 90 * H, "NLRTM", ["XX1"])]))
    assert codes_for(ev, d["declaration_id"]) == {"SEAL_TAMPERING"}


def test_seals_disappear():
    d = make_declaration()
    ev, _, _ = run(d, *_journey_with(d, lambda c, s, T: [make_container_event(c, "DISC", T + 90 * H, "NLRTM", [])]))
    assert codes_for(ev, d["declaration_id"]) == {"SEAL_TAMPERING"}


def test_seal_change_after_inspection_is_fine():
    d = make_declaration()
    ev, _, _ = run(d, *_journey_with(d, lambda c, s, T: [
        make_container_event(c, "INSP", T + 80 * H, "NLRTM", []),
        make_container_event(c, "DISC", T + 90 * H, "NLRTM", ["CUSTOMS1"])], final_seals=["CUSTOMS1"]))
    assert ev == []


def test_container_reuse_by_unrelated_consignees():
    a = make_declaration(containers=["MSCU1234565"])
    b = make_declaration(containers=["MSCU1234565"], filed_at_ms=T0 + 2 * DAY,
                         consignee=party("Hamburg Fish Imports GmbH", "DE"))
    ev, _, _ = run(a, b, *honest_journey(a), *honest_journey(b))
    assert codes_for(ev, a["declaration_id"]) == {"CONTAINER_REUSE"}
    assert codes_for(ev, b["declaration_id"]) == {"CONTAINER_REUSE"}


@pytest.mark.parametrize("consignee,gap", [
    (party("ROTTERDAM COMPUTER SUPPLIES B.V.", "NL"), 2 * DAY),  # same consignee, name variant
    (party("Hamburg Fish Imports GmbH", "DE"), 9 * DAY),         # unrelated, but outside 7 days
])
def test_container_reuse_negative(consignee, gap):
    a = make_declaration(containers=["MSCU1234565"])
    b = make_declaration(containers=["MSCU1234565"], filed_at_ms=T0 + gap, consignee=consignee)
    ev, _, runner = run(a, b, *honest_journey(a), *honest_journey(b))
    assert ev == []
    assert runner.live_keys() == 0


def test_container_not_seen():
    d = make_declaration()
    ev, _, runner = run(d)
    assert codes_for(ev, d["declaration_id"]) == {"CONTAINER_NOT_SEEN"}
    assert d["containers"][0] in ev[0]["detail"]
    assert runner.live_keys() == 0


def test_not_seen_only_for_configured_modes():
    d = make_declaration(transport_mode="RAIL")
    ev, _, _ = run(d)
    assert ev == []


def test_one_of_two_containers_not_seen():
    d = make_declaration(containers=["MSCU1111110", "MSCU2222226"])
    events = [e for e in honest_journey(d) if e["equipment_reference"] == "MSCU1111110"]
    ev, _, _ = run(d, *events)
    assert [e["code"] for e in ev] == ["CONTAINER_NOT_SEEN"]
    assert "MSCU2222226" in ev[0]["detail"]


def test_invalidated_declaration_is_not_checked():
    d = make_declaration()
    ev, assessments, runner = run(d, invalidate(d))
    assert ev == [] and assessments == []
    assert runner.live_keys() == 0


def test_amendment_dropping_a_container():
    d = make_declaration(containers=["MSCU1111110", "MSCU2222226"])
    d2 = amend(d, containers=["MSCU1111110"])
    events = [e for e in honest_journey(d2)]
    ev, assessments, _ = run(d, d2, *events)
    # the dropped container still holds v1 and reports it unseen, tagged v1 ...
    assert {(e["code"], e["declaration_version"]) for e in ev} == {("CONTAINER_NOT_SEEN", 1)}
    # ... which the assessor ignores for the v2 assessment
    assert assessments[0]["declaration_version"] == 2
    assert assessments[0]["scorecard"] == []
