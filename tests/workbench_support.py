"""Shared by the workbench's unit and browser tests: a generated day of traffic, its assessments
from the reference runner, and a Parquet store laid out as the live job writes it."""
from __future__ import annotations

import heapq
import json
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from werkzeug.security import generate_password_hash

from generator.traffic import generate
from jobs.assessment_store import COLUMNS, PARTITION, row_values
from schemas import codec
from transforms import intake
from transforms.runner import run_in_memory

ARROW_TYPES = {"STRING": pa.string(), "INT": pa.int32(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
               "BIGINT": pa.int64()}
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


def store_schema() -> pa.Schema:
    return pa.schema([(name, ARROW_TYPES[sql]) for name, sql in COLUMNS if name != PARTITION])


def write_store(path: Path, assessments: list[dict], files_per_day: int = 2) -> None:
    """What the job writes: the store's columns, a folder per day, snappy Parquet files."""
    schema = store_schema()
    by_day: dict[str, list[tuple]] = {}
    for a in assessments:
        values = row_values(a)
        by_day.setdefault(values[-1], []).append(values[:-1])
    for day, rows in by_day.items():
        folder = path / f"{PARTITION}={day}"
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(files_per_day):
            part = rows[n::files_per_day]
            if part:
                table = pa.Table.from_pylist([dict(zip(schema.names, r)) for r in part], schema=schema)
                pq.write_table(table, folder / f"part-{uuid.uuid4()}-0-{n}", compression="snappy")


def write_users(path: Path) -> Path:
    lines = ["users:"]
    for name, (role, password) in PASSWORDS.items():
        lines += [f"  {name}:", f"    role: {role}", f"    password_hash: {json.dumps(generate_password_hash(password))}"]
    path.write_text("\n".join(lines) + "\n")
    return path
