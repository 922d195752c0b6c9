"""A bad mix thrown at the real PyFlink job (embedded mini-cluster, one run): corrupted, truncated
and wrong-schema messages, huge strings, wrong types, unicode tricks, an unknown stream, plus
sequences that are awkward but legal: events out of order, an amendment before its original, an
invalidation of a declaration never filed, duplicated messages.

The job must finish; every bad message must come out as exactly one dead letter with its reason
and the kind the intake gives it; every good declaration must be assessed exactly once, and the
awkward sequences must neither be dead-lettered nor assessed twice.

Records that pass the intake but break the stream's data contract (transforms.expectations, e.g.
a bidi override in a name, a description of a megabyte) are dead-lettered as EXPECTATION with the
failed expectations named.
"""
import json
from collections import Counter

import pytest

from transforms.expectations import expectation_failures

from generator.traffic import generate
from jobs import live_job
from jobs.config import JobConfig
from jobs.sinks import LineFileSink
from jobs.sources import CollectionSource, timed_traffic_messages
from schemas import codec
from transforms import intake

from tests.unit.fixtures import records as R

pytestmark = pytest.mark.integration


def _dcsa(**overrides):
    event = {"eventID": "bad-1", "eventType": "EQUIPMENT", "eventCreatedDateTime": "2026-11-02T08:00:00Z",
             "eventDateTime": "2026-11-02T07:55:00Z", "eventClassifierCode": "ACT", "equipmentEventTypeCode": "LOAD",
             "equipmentReference": "APZU4812090", "emptyIndicatorCode": "LADEN"}
    event.update(overrides)
    return json.dumps(event).encode()


def bad_messages(first_declaration: bytes) -> list[tuple[str, bytes, str]]:
    """(stream, payload, the dead-letter kind the intake must give it)."""
    manifest = codec.encode("Manifest", R.manifest())
    control = codec.encode("ControlResult", R.control_result())
    return [
        ("declarations", first_declaration[:-7], intake.DECODE),  # truncated
        ("declarations", first_declaration[:10] + b"\xff" * 12 + first_declaration[22:], intake.DECODE),  # corrupted
        ("declarations", manifest, intake.DECODE),  # wrong schema
        ("manifests", control, intake.DECODE),  # wrong schema
        ("control_results", b"\xc3\x01" + b"\x13" * 8 + control[10:], intake.DECODE),  # unknown writer schema
        ("manifests", b"\x00\xff" * 1_000_000, intake.DECODE),  # 2 MB of garbage
        ("declarations", b"", intake.DECODE),
        ("container_events", _dcsa(eventID="E" * 1_000_000), intake.DCSA),  # huge string
        ("container_events", _dcsa(eventDateTime=1793606400000), intake.DCSA),  # wrong type
        ("container_events", _dcsa(equipmentReference="APZU\u200b4812090"), intake.DCSA),  # zero-width in a key
        ("container_events", b'{"eventID": "\\ud800", "eventType": "EQUIPMENT"}', intake.DCSA),  # lone surrogate
        ("container_events", _dcsa()[:40], intake.DECODE),  # truncated JSON
        ("container_events", b'{"eventType": "EQUIPMENT", "eventType": "SHIPMENT"}', intake.DCSA),  # duplicate key
        ("declarations", codec.encode("Declaration", R.declaration(
            goods=[R.goods_item(hs_code="9" * 1_000_000)])), intake.VALIDATION),  # huge string in a code
        ("declarations", codec.encode("Declaration", R.declaration(containers=["APZU4812091"])), intake.VALIDATION),
        ("declarations", codec.encode("Declaration", R.declaration(
            consignor=R.party("\u202eemca", "C\u0430"))), intake.VALIDATION),  # homoglyph in the country code
        ("control_results", codec.encode("ControlResult", R.control_result(seizure_category=None)), intake.VALIDATION),
        ("container_events", codec.encode("ContainerEvent", R.container_event(event_type_code="FLY")), intake.VALIDATION),
        ("parcels", b"\x00", intake.UNKNOWN_STREAM),
        ("declarations", codec.encode("Declaration", R.declaration(
            declaration_id="LRN-BIDI-1", consignor=R.party("Acme \u202eLtd"))), intake.EXPECTATION),
        ("declarations", codec.encode("Declaration", R.declaration(
            declaration_id="LRN-HUGE-1", goods=[R.goods_item(description="LED " * 250_000)])), intake.EXPECTATION),
    ]


def _declaration(record: dict) -> bytes:
    return codec.encode("Declaration", record)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("badmix")
    generate(base / "traffic", days=1, seed=5, declarations_per_day=300)
    timed = timed_traffic_messages(base / "traffic")
    messages = [(stream, payload) for _, stream, payload in timed]
    declarations = [codec.decode("Declaration", p) for s, p in messages if s == "declarations"]
    first = next(i for i, (s, _) in enumerate(messages) if s == "declarations")

    # out of order: reverse runs of messages spanning under 5 minutes of event time (bound: 10)
    reordered, i = [], 0
    while i < len(timed):
        j = i
        while j + 1 < len(timed) and j - i < 6 and timed[j + 1][0] - timed[i][0] < 5 * 60_000:
            j += 1
        reordered.extend(reversed(messages[i:j + 1]))
        i = j + 1
    out_of_order = sum(1 for a, b in zip(messages, reordered) if a != b)
    messages = reordered

    template = declarations[0]
    t = template["filed_at_ms"]
    early = {**template, "declaration_id": "EARLY-AMENDED", "house_document": "HEARLY1", "filed_at_ms": t + 1000}
    amendment = {**early, "version": 2, "message_type": "AMENDMENT", "filed_at_ms": t + 2000}
    ghost = {**template, "declaration_id": "GHOST-1", "house_document": "HGHOST1", "version": 2,
             "message_type": "INVALIDATION", "filed_at_ms": t + 1500}
    awkward = [("declarations", _declaration(amendment)), ("declarations", _declaration(early)),
               ("declarations", _declaration(ghost))]
    duplicates = [messages[first], messages[first]]
    first_event = next(m for m in messages if m[0] == "container_events")
    bad = bad_messages(messages[first][1])
    for stream, payload, kind in bad:  # the mix is what it claims to be
        if kind == intake.EXPECTATION:  # passes the intake, breaks the contract
            _, record, _ = intake.decode_input(stream, payload)
            assert expectation_failures(stream, [record]), (stream, payload[:60])
            continue
        with pytest.raises(intake.RejectedInput) as rejected:
            intake.decode_input(stream, payload)
        assert rejected.value.error_kind == kind, (stream, payload[:60], rejected.value)

    at = first + 1
    extra = awkward + duplicates + [first_event] + [(s, p) for s, p, _ in bad]
    messages = messages[:at] + extra + messages[at:]

    sink = LineFileSink(base / "sink")
    live_job.run(CollectionSource(messages), sink, JobConfig(), events_in=len(messages))
    assessments = list(sink.read_outputs("assessments"))
    dead_letters = list(sink.read_outputs("dead_letters"))
    return {"declarations": declarations, "bad": bad, "assessments": assessments, "dead_letters": dead_letters,
            "out_of_order": out_of_order}


def test_every_bad_message_is_one_dead_letter_with_its_reason(run):
    bad, letters = run["bad"], run["dead_letters"]
    assert len(letters) == len(bad)
    assert Counter((d["source_topic"], bytes(d["raw"])) for d in letters) == Counter((s, p) for s, p, _ in bad)
    kind_of = {(s, p): k for s, p, k in bad}
    for d in letters:
        assert d["error_kind"] == kind_of[(d["source_topic"], bytes(d["raw"]))]
        assert d["reason"] and len(d["reason"]) < 1000, d["reason"][:200]
    assert Counter(d["error_kind"] for d in letters) == Counter(k for _, _, k in bad)


def test_every_good_declaration_is_assessed_exactly_once(run):
    """One lifecycle per good declaration, whatever the disorder and the duplicates: one answer on
    filing, one pre-arrival assessment (none after a withdrawal), no assessment id twice."""
    declarations = run["declarations"]
    invalidated = {d["declaration_id"] for d in declarations if d["message_type"] == "INVALIDATION"}
    expected = ({d["declaration_id"] for d in declarations} - invalidated) | {"EARLY-AMENDED"}
    ids = [a["assessment_id"] for a in run["assessments"]]
    assert len(ids) == len(set(ids))
    final = Counter(a["declaration_id"] for a in run["assessments"] if a["declaration_id"] and a["phase"] == "PRE_ARRIVAL")
    first = Counter(a["declaration_id"] for a in run["assessments"] if a["declaration_id"] and a["phase"] == "PRE_LOADING")
    assessed = Counter(a["declaration_id"] for a in run["assessments"] if a["declaration_id"])
    assert run["out_of_order"] > 100
    assert set(final) == expected
    assert max(final.values()) == 1 and max(first.values()) == 1  # duplicates did not double anything
    assert set(first) >= expected
    early = sorted((a for a in run["assessments"] if a["declaration_id"] == "EARLY-AMENDED"), key=lambda a: a["sequence"])
    # its amendment arrived first: the answer on filing is v2's, and so is the last
    assert early[0]["declaration_version"] == 2 and early[-1]["declaration_version"] == 2
    assert "GHOST-1" not in assessed
