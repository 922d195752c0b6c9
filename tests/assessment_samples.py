"""Risk assessments for the assessment-store tests: valid RiskAssessment records (the shape the live
job emits), deterministic from an index so a Flink job and the test build the same ones."""
from __future__ import annotations

import uuid
from pathlib import Path

from fastavro.validation import validate

from schemas import codec

DAY_MS = 86_400_000
START_MS = 1_793_577_600_000  # 2026-11-02T00:00:00Z
OUTCOMES = ["ASSESSMENT_COMPLETE", "REQUEST_FOR_INFORMATION", "HIGH_RISK_SCREENING", "DO_NOT_LOAD",
            "CONTROL_ON_ARRIVAL"]
ALERTING = {"HIGH_RISK_SCREENING", "DO_NOT_LOAD", "CONTROL_ON_ARRIVAL"}
KINDS = ["RULE", "INDICATOR", "CROSS_CHECK", "MODEL", "RANDOM"]


def event_time_of(i: int, count: int, days: int) -> int:
    """Increasing event times over `days` days; the record just before each midnight sits on the
    last millisecond of its day, the one at each midnight on the first of the next."""
    step = days * DAY_MS // count
    t = START_MS + i * step
    if (i + 1) * step % DAY_MS == 0:
        t = START_MS + (i + 1) * step - 1
    return t


def sample_assessment(i: int, count: int = 300, days: int = 4) -> dict:
    outcome = OUTCOMES[i % len(OUTCOMES)]
    t = event_time_of(i, count, days)
    scorecard = [{"kind": KINDS[(i + k) % len(KINDS)], "code": f"R{k}", "detail": f"rule {k} fired for #{i} (é, 中)",
                  "contribution": float(10 * k + i % 7)} for k in range(i % 4)]
    with_model = i % 3 == 0
    assessment = {
        "assessment_id": f"DECL-{i:05d}:1",
        "declaration_id": None if i % 11 == 0 else f"DECL-{i:05d}",
        "declaration_version": None if i % 11 == 0 else 1 + i % 3,
        "house_document": f"HBL{i:07d}",
        "score": sum(e["contribution"] for e in scorecard),
        "outcome": outcome,
        "alert": outcome in ALERTING,
        "scorecard": scorecard,
        "model_score": (i % 100) / 100 if with_model else None,
        "model_version": "gbt-2026-10" if with_model else None,
        "ruleset_version": "2026.11" if i % 2 else "2026.10",
        "random_selection": i % 13 == 0,
        "event_time_ms": t,
        "processing_time_ms": t + 1234,
        "phase": ("PRE_LOADING", "RE_ASSESSMENT", "PRE_ARRIVAL", None)[i % 4],
        "sequence": None if i % 4 == 3 else 1 + i % 4,
        "supersedes": f"DECL-{i:05d}#{i % 4}" if i % 4 in (1, 2) else None,
        "trigger": "FILING" if i % 4 == 0 else None,
        "outcome_note": "held at DO_NOT_LOAD (assessment X#1)" if i % 9 == 0 else None,
        "escalated": None if i % 4 == 3 else i % 2 == 0,
        "expected_loading_ms": t + 3_600_000 if i % 5 else None,
        "expected_arrival_ms": t + 86_400_000 if i % 5 else None,
    }
    validate(assessment, codec.parsed_schema("RiskAssessment"), raise_errors=True)  # samples follow the schema
    return assessment


def write_store(path: Path, assessments: list[dict], files_per_day: int = 2) -> list[Path]:
    """Assessments as the job writes them to the store: its columns, a folder per day, snappy
    Parquet files (files_per_day of them); returns the day folders."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from jobs.assessment_store import COLUMNS, PARTITION, row_values

    arrow = {"STRING": pa.string(), "INT": pa.int32(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
             "BIGINT": pa.int64()}
    schema = pa.schema([(name, arrow[sql]) for name, sql in COLUMNS if name != PARTITION])
    by_day: dict[str, list[tuple]] = {}
    for a in assessments:
        values = row_values(a)
        by_day.setdefault(values[-1], []).append(values[:-1])
    folders = []
    for day, rows in by_day.items():
        folder = Path(path) / f"{PARTITION}={day}"
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(files_per_day):
            part = rows[n::files_per_day]
            if part:
                table = pa.Table.from_pylist([dict(zip(schema.names, r)) for r in part], schema=schema)
                pq.write_table(table, folder / f"part-{uuid.uuid4()}-0-{n}", compression="snappy")
        folders.append(folder)
    return folders
