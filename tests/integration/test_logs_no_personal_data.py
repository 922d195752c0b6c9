"""Logs carry references, not personal data: the live job on its embedded mini-cluster (what `borderflow
run` does: jobs.embedded.run_embedded), over a small generated day plus broken messages that carry party
data (a declaration and a manifest that fail validation, an unknown stream), with every log it writes
captured: Python logging at DEBUG (the driver's stderr), stdout/stderr of the process and of the JVM it
starts, and Flink's log files (FLINK_LOG_DIR, where the Python operators' logging goes in thread mode).

No consignor, consignee or notify-party name or address, no manifest consignee name and no goods
description from the traffic appears in them. The names are real data of the run: the same search finds
them in the dead letters (a data output, which keeps the raw message on purpose), so it can fail.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schemas import codec

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# run_embedded as `borderflow run` calls it, with Python logging at DEBUG for every logger, then the
# summary table the command prints.
DRIVER = r"""
import base64, json, logging, sys
logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
from borderflow.summary import format_table
from jobs.config import JobConfig
from jobs.embedded import run_embedded
traffic, out, extra = sys.argv[1:4]
messages = [(stream, base64.b64decode(payload)) for stream, payload in json.load(open(extra))]
summary = run_embedded(traffic, out, JobConfig(), extra_messages=messages)
print(format_table(summary))
"""
MIN_LENGTH = 6  # shorter strings could match log text by chance


def personal_data(traffic: Path) -> dict[str, set[str]]:
    """What the traffic says about people and goods, by kind."""
    found = {"party name": set(), "party address": set(), "goods description": set()}
    for d in codec.read_avro_file(traffic / "declarations.avro"):
        for role in ("consignor", "consignee", "notify_party"):
            party = d.get(role)
            if party:
                found["party name"].add(party["name"])
                if party.get("address"):
                    found["party address"].add(party["address"])
        found["goods description"].update(g["description"] for g in d["goods"])
    for m in codec.read_avro_file(traffic / "manifests.avro"):
        for line in m["lines"]:
            found["party name"].add(line["consignee_name"])
            found["goods description"].add(line["description"])
    return {kind: {v for v in values if len(v) >= MIN_LENGTH} for kind, values in found.items()}


def spellings(value: str) -> set[str]:
    """The value as a log line could carry it: as is, JSON-escaped, Python-escaped."""
    return {value, json.dumps(value)[1:-1], value.encode("unicode_escape").decode()}


def leaks(text: str, data: dict[str, set[str]]) -> dict[str, list[str]]:
    return {kind: sorted(v for v in values if any(s in text for s in spellings(v)))
            for kind, values in data.items() if any(any(s in text for s in spellings(v)) for v in values)}


def broken_messages(traffic: Path) -> list[tuple[str, bytes]]:
    """Messages the job must dead-letter, each carrying names, addresses or descriptions."""
    declaration = next(d for d in codec.read_avro_file(traffic / "declarations.avro") if d.get("notify_party"))
    bad_declaration = {**declaration, "declaration_id": declaration["declaration_id"] + "-BROKEN",
                       "goods": [{**declaration["goods"][0], "hs_code": "12"}]}
    manifest = next(iter(codec.read_avro_file(traffic / "manifests.avro")))
    bad_manifest = {**manifest, "manifest_id": manifest["manifest_id"] + "-BROKEN",
                    "lines": [{**manifest["lines"][0], "hs_code": "1"}]}
    party = declaration["consignor"]
    return [
        ("declarations", codec.encode(codec.STREAM_SCHEMAS["declarations"], bad_declaration)),
        ("manifests", codec.encode(codec.STREAM_SCHEMAS["manifests"], bad_manifest)),
        ("declarations", b"not avro, but names " + party["name"].encode() + b" at " + (party["address"] or "").encode()),
        ("parties", json.dumps(party).encode()),  # an unknown stream
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from generator.traffic import generate

    base = tmp_path_factory.mktemp("logs-pii")
    traffic, out, flink_log = base / "traffic", base / "out", base / "flink-log"
    generate(traffic, days=1, seed=17, declarations_per_day=300)
    broken = broken_messages(traffic)
    extra = base / "extra.json"
    extra.write_text(json.dumps([[s, base64.b64encode(p).decode()] for s, p in broken]))
    env = {**os.environ, "FLINK_LOG_DIR": str(flink_log)}
    t0 = time.monotonic()
    job = subprocess.run([sys.executable, "-c", DRIVER, str(traffic), str(out), str(extra)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, env=env)
    elapsed = time.monotonic() - t0
    assert job.returncode == 0, f"the embedded job failed ({elapsed:.0f}s):\n{job.stderr[-4000:]}"
    print(f"\nembedded job with log capture: {elapsed:.1f}s")
    files = sorted(p for p in flink_log.rglob("*") if p.is_file())
    logs = {"stdout": job.stdout, "stderr": job.stderr,
            **{str(p.relative_to(base)): p.read_text(errors="replace") for p in files}}
    return {"traffic": traffic, "out": out, "logs": logs, "broken": broken, "flink_files": files}


def test_the_logs_were_captured(run):
    logs = run["logs"]
    assert run["flink_files"], "Flink wrote no log file into FLINK_LOG_DIR"
    flink = "\n".join(text for name, text in logs.items() if name.startswith("flink-log"))
    assert "borderflow-live" in flink and "switched from state RUNNING to FINISHED" in flink, flink[-2000:]
    assert len(flink.splitlines()) > 100
    assert "DEBUG" in logs["stderr"] or "INFO" in logs["stderr"], "Python logging did not reach stderr"
    assert "assessments:" in logs["stdout"] and "dead letters: 4" in logs["stdout"], logs["stdout"]


def test_no_party_name_address_or_description_in_any_log(run):
    data = personal_data(run["traffic"])
    assert len(data["party name"]) > 100 and len(data["party address"]) > 100
    found = {source: hits for source, text in run["logs"].items() if (hits := leaks(text, data))}
    assert not found, "personal data in the logs: " + json.dumps(
        {source: {kind: values[:5] for kind, values in hits.items()} for source, hits in found.items()}, indent=1)


def test_the_same_search_finds_the_names_in_the_dead_letters(run):
    """The dead letters keep the raw messages (a data output, not a log): the names the broken messages
    carry are found there, so the search above can find what it looks for."""
    letters = list(codec.read_avro_file(run["out"] / "dead_letters.avro"))
    assert len(letters) == len(run["broken"])
    raw = "\n".join(bytes(d["raw"]).decode("utf-8", errors="replace") for d in letters)
    hits = leaks(raw, personal_data(run["traffic"]))
    assert hits.get("party name") and hits.get("party address") and hits.get("goods description"), hits
    # ... and the reasons name fields, not values
    reasons = "\n".join(d["reason"] for d in letters)
    assert not leaks(reasons, personal_data(run["traffic"])), reasons
