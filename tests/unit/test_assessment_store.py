"""The assessment store without the engine: the row mapping the job applies (jobs/assessment_store)
and the analysts' reader and command (pipelines/assessment_store) over a store laid out as the
Flink filesystem sink writes it (hive-style day folders, hidden in-progress files, _SUCCESS)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.cli import main as borderflow
from jobs.assessment_store import COLUMNS, PARTITION, row_values, store_options
from pipelines import assessment_store as reader
from tests.assessment_samples import DAY_MS, START_MS, sample_assessment
from tests.assessment_samples import write_store as write_sample_store

COUNT, DAYS = 40, 4


def write_store(path, assessments) -> None:
    """What the job writes (tests.assessment_samples.write_store), with each day committed
    (_SUCCESS) and an uncommitted file of a checkpoint that never completed: readers must not see it."""
    for folder in write_sample_store(path, assessments):
        (folder / "_SUCCESS").touch()
        (folder / ".part-test-0-9.inprogress.0a1b").write_bytes(b"PAR1 half-written")


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store"
    write_store(path, [sample_assessment(i, COUNT, DAYS) for i in range(COUNT)])
    return path


def expected(**where) -> list[dict]:
    out = []
    for a in (sample_assessment(i, COUNT, DAYS) for i in range(COUNT)):
        day = dt.datetime.fromtimestamp(a["event_time_ms"] / 1000, dt.timezone.utc).date().isoformat()
        if all({"day": day, **a}[k] == v for k, v in where.items()):
            out.append(a)
    return out


# --- the row mapping ---------------------------------------------------------------------------------
def test_a_row_has_every_column_in_order():
    a = sample_assessment(3)
    values = row_values(a)
    assert len(values) == len(COLUMNS)
    named = dict(zip([c for c, _ in COLUMNS], values))
    assert named["assessment_id"] == a["assessment_id"] and named["outcome"] == a["outcome"]
    assert json.loads(named["scorecard"]) == a["scorecard"]
    assert named[PARTITION] == "2026-11-02"


@settings(deadline=None)  # the shared machine's load, not the code, makes single examples slow
@given(st.integers(min_value=START_MS - 3 * DAY_MS, max_value=START_MS + 400 * DAY_MS))
def test_the_partition_is_the_utc_day_of_the_event_time(t):
    a = {**sample_assessment(1), "event_time_ms": t}
    day = dt.date.fromisoformat(row_values(a)[-1])
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    assert start <= t < start + DAY_MS


def test_the_last_and_first_millisecond_of_a_day():
    last = {**sample_assessment(1), "event_time_ms": START_MS - 1}
    first = {**sample_assessment(1), "event_time_ms": START_MS}
    assert row_values(last)[-1] == "2026-11-01" and row_values(first)[-1] == "2026-11-02"


entries = st.fixed_dictionaries({
    "kind": st.sampled_from(["RULE", "INDICATOR", "CROSS_CHECK", "MODEL", "RANDOM"]),
    "code": st.text(max_size=12), "detail": st.text(max_size=40),
    "contribution": st.floats(allow_nan=False, allow_infinity=False)})


@settings(max_examples=60, deadline=None)
@given(st.lists(entries, max_size=6))
def test_the_scorecard_round_trips_through_its_json_column(card):
    stored = row_values({**sample_assessment(2), "scorecard": card})[7]
    assert json.loads(stored) == card


def test_store_options_name_an_absolute_file_uri(tmp_path):
    options = store_options(tmp_path / "s")
    assert options["path"] == (tmp_path / "s").resolve().as_uri()
    assert options["format"] == "parquet" and options["connector"] == "filesystem"
    assert store_options("s3://bucket/assessments")["path"] == "s3://bucket/assessments"


# --- the reader ----------------------------------------------------------------------------------------
def test_reads_back_every_committed_assessment_and_nothing_else(store):
    got = reader.read_assessments(store)
    assert got == sorted(expected(), key=lambda a: (a["event_time_ms"], a["assessment_id"]))


@pytest.mark.parametrize("where, filters", [
    ({"day": "2026-11-03"}, {"day": "2026-11-03"}),
    ({"day": "2026-11-03"}, {"day": dt.date(2026, 11, 3)}),
    ({"outcome": "DO_NOT_LOAD"}, {"outcome": "DO_NOT_LOAD"}),
    ({"ruleset_version": "2026.10", "alert": True}, {"ruleset_version": "2026.10", "alert": True}),
    ({"day": "2026-11-04", "outcome": "ASSESSMENT_COMPLETE"}, {"day": "2026-11-04", "outcome": "ASSESSMENT_COMPLETE"}),
])
def test_filters(store, where, filters):
    got = reader.read_assessments(store, **filters)
    assert [a["assessment_id"] for a in got] == [a["assessment_id"] for a in expected(**where)]
    assert got


def test_a_day_range_is_inclusive(store):
    got = reader.query(store, columns=["day"], day_from="2026-11-03", day_to="2026-11-04")
    assert sorted(set(got.column("day").to_pylist())) == ["2026-11-03", "2026-11-04"]
    assert got.num_rows == len(expected(day="2026-11-03")) + len(expected(day="2026-11-04"))


def test_summary_counts_by_day_and_outcome(store):
    counts = reader.summary(store)
    assert sorted(counts) == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    assert sum(sum(c.values()) for c in counts.values()) == COUNT
    assert counts["2026-11-02"]["DO_NOT_LOAD"] == len(expected(day="2026-11-02", outcome="DO_NOT_LOAD"))


def test_bad_queries_say_what_is_wrong(store, tmp_path):
    with pytest.raises(ValueError, match="unknown outcome"):
        reader.query(store, outcome="FINE")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        reader.query(store, day="3 Nov")
    with pytest.raises(ValueError, match="not both"):
        reader.query(store, day="2026-11-03", day_to="2026-11-04")
    with pytest.raises(FileNotFoundError):
        reader.query(tmp_path / "nowhere")


# --- the command ---------------------------------------------------------------------------------------
def test_command_prints_matching_assessments_as_json_lines(store, capsys):
    assert borderflow(["assessments", "--store", str(store), "--day", "2026-11-02", "--outcome", "DO_NOT_LOAD"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == expected(day="2026-11-02", outcome="DO_NOT_LOAD")


def test_command_summary(store, capsys):
    assert borderflow(["assessments", "--store", str(store), "--summary", "--alert"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[0] == "day" and len(out) == 1 + DAYS
    assert sum(int(line.split()[-1]) for line in out[1:]) == len(expected(alert=True))


def test_command_on_a_missing_store_fails_clearly(tmp_path, capsys):
    assert borderflow(["assessments", "--store", str(tmp_path / "none")]) == 2
    assert "no assessment store" in capsys.readouterr().err
