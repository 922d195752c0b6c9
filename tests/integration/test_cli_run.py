"""`borderflow run` as a user runs it, on the embedded engine: a traffic folder with a damaged file
is read to the end of what can be read (the damage a dead letter naming the file and the byte
offset, counted), and a second run into the first one's folder replaces its outputs and keeps
the traffic it read from there."""
import json
import os

import pytest

from borderflow.cli import main as borderflow
from generator.traffic import generate
from schemas import codec

pytestmark = pytest.mark.integration


def test_a_damaged_traffic_file_becomes_a_named_dead_letter_and_the_rest_is_assessed(tmp_path, capsys):
    out = tmp_path / "run"
    traffic = out / "traffic"  # the traffic lies in the run folder, as `run` without --input writes it
    generate(traffic, days=1, seed=5, declarations_per_day=40)
    good = traffic / "manifests.avro"
    data = good.read_bytes()
    good.write_bytes(data[: len(data) - 150])  # cut short in its last block
    (traffic / "control_results.avro").write_bytes(os.urandom(2000))

    assert borderflow(["run", "--input", str(traffic), "--out", str(out)]) == 0
    letters = [d for d in codec.read_avro_file(out / "dead_letters.avro") if d["error_kind"] == "DECODE"]
    assert sorted(d["source_topic"] for d in letters) == ["control_results", "manifests"]
    by_stream = {d["source_topic"]: d["reason"] for d in letters}
    assert by_stream["manifests"].startswith(f"{good}: unreadable from byte ")
    assert by_stream["control_results"].startswith(f"{traffic / 'control_results.avro'}: unreadable from byte 0")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dead_letters_by_reason"]["DECODE"] == 2
    assert summary["events_in"]["declarations"] >= 40 and summary["assessments"] > 0
    assert "dead letters: 2" in capsys.readouterr().out

    # again into the same folder: the previous outputs are replaced, the traffic in it kept
    (out / "summary.json").write_text("{}")
    assert borderflow(["run", "--input", str(traffic), "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["dead_letters"] == 2
    assert (traffic / "declarations.avro").exists()
