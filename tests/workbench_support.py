"""Shared by the workbench's unit and browser tests: a generated day of traffic, its assessments
from the reference runner, and a Parquet store laid out as the live job writes it."""
from __future__ import annotations

import heapq
import json
from pathlib import Path

import pyarrow.parquet as pq
from werkzeug.security import generate_password_hash

from generator.traffic import generate
from tests.assessment_samples import write_store  # noqa: F401 (the workbench tests' store)
from schemas import codec
from transforms import intake
from transforms.runner import run_in_memory

TIME_FIELDS = {"declarations": "filed_at_ms", "manifests": "filed_at_ms", "control_results": "controlled_at_ms"}
PASSWORDS = {"ana": ("analyst", "ana-secret-1"), "sup": ("supervisor", "sup-secret-2"),
             "aud": ("auditor", "aud-secret-3")}


def traffic_inputs(traffic_dir: Path) -> list[tuple[str, dict, int]]:
    """The traffic's records as the runner takes them, through the job's intake, in time order."""
    streams = []
    for stream, field in TIME_FIELDS.items():
        streams.append([(r[field], stream, codec.encode(codec.STREAM_SCHEMAS[stream], r))
                        for r in codec.read_avro_file(traffic_dir / f"{stream}.avro")])
    events = []
    with open(traffic_dir / "container_events.dcsa.jsonl", "rb") as f:
        normalised = codec.read_avro_file(traffic_dir / "container_events.avro")
        for line, record in zip(f, normalised):  # the same events in the same order
            events.append((record["event_time_ms"], "container_events", line.rstrip(b"\n")))
    streams.append(events)
    return [intake.decode_input(stream, payload) for _, stream, payload in heapq.merge(*streams, key=lambda m: m[0])]


def generated_case_data(out: Path, declarations_per_day: int = 150, seed: int = 11) -> tuple[Path, list[dict]]:
    traffic = out / "traffic"
    generate(traffic, days=1, seed=seed, declarations_per_day=declarations_per_day)
    return traffic, run_in_memory(traffic_inputs(traffic))


def write_users(path: Path) -> Path:
    lines = ["users:"]
    for name, (role, password) in PASSWORDS.items():
        lines += [f"  {name}:", f"    role: {role}", f"    password_hash: {json.dumps(generate_password_hash(password))}"]
    path.write_text("\n".join(lines) + "\n")
    return path
