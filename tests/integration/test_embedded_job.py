"""End to end with the real engine: a seeded day of traffic through the PyFlink job on an
embedded mini-cluster, judged against the generator's ground truth."""
import json

import pytest

from generator.traffic import generate
from jobs.config import JobConfig
from jobs.embedded import run_embedded
from schemas import codec

pytestmark = pytest.mark.integration

BROKEN = [
    ("declarations", b"\xc3\x01" + b"\x00" * 8 + b"garbage"),  # unknown writer fingerprint
    ("declarations", b"not avro at all"),
    ("manifests", b""),
    ("container_events", b'{"eventType": "EQUIPMENT", "eventID": "x"'),  # truncated JSON
    ("container_events", json.dumps({"eventType": "SHIPMENT", "eventID": "e1"}).encode()),
    ("nonsense_topic", b"\x00"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    generate(base / "traffic", days=1, seed=11, declarations_per_day=2500)
    summary = run_embedded(base / "traffic", base / "out", JobConfig(), extra_messages=BROKEN)
    return base, summary


def test_every_scenario_is_caught(run):
    _, summary = run
    assert len(summary["scenarios"]) == 12
    for code, row in summary["scenarios"].items():
        assert row["planted"] >= 5, code
        assert row["recall"] >= 0.9, (code, row)


def test_honest_traffic_is_left_alone(run):
    _, summary = run
    assert summary["honest_assessed"] > 2000
    assert summary["false_alert_rate"] <= 0.03


def test_every_declaration_is_assessed_once(run):
    base, _ = run
    truth = json.loads((base / "traffic" / "ground_truth.json").read_text())
    declarations = list(codec.read_avro_file(base / "traffic" / "declarations.avro"))
    invalidated = {d["declaration_id"] for d in declarations if d["message_type"] == "INVALIDATION"}
    expected = {d["declaration_id"] for d in declarations} - invalidated
    assessed = [a["declaration_id"] for a in codec.read_avro_file(base / "out" / "assessments.avro") if a["declaration_id"]]
    assert len(assessed) == len(set(assessed))
    assert set(assessed) == expected
    undeclared = {h for i in truth["instances"] if i["scenario"] == "UNDECLARED_CONSIGNMENT" for h in i["house_documents"]}
    consignment_only = {a["house_document"] for a in codec.read_avro_file(base / "out" / "assessments.avro")
                        if a["declaration_id"] is None}
    assert undeclared <= consignment_only


def test_broken_input_becomes_dead_letters_with_reasons(run):
    base, summary = run
    assert summary["dead_letters"] == len(BROKEN)
    letters = list(codec.read_avro_file(base / "out" / "dead_letters.avro"))
    assert sorted(bytes(d["raw"]) for d in letters) == sorted(raw for _, raw in BROKEN)
    assert all(d["reason"] for d in letters)
    assert {d["error_kind"] for d in letters} >= {"DECODE", "DCSA", "UNKNOWN_STREAM"}


def test_outputs_and_summary_agree(run):
    base, summary = run
    assessments = list(codec.read_avro_file(base / "out" / "assessments.avro"))
    alerts = list(codec.read_avro_file(base / "out" / "alerts.avro"))
    assert summary["assessments"] == len(assessments)
    assert summary["alerts"] == len(alerts) == sum(a["alert"] for a in assessments)
    assert sum(summary["assessments_by_outcome"].values()) == len(assessments)
    assert summary["events_per_second"] > 0
    on_disk = json.loads((base / "out" / "summary.json").read_text())
    assert on_disk == summary
    assert all(a["ruleset_version"] for a in assessments)
