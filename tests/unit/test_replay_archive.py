"""The archive: layout by stream and UTC day, readers (fastavro, pyarrow), and what a replay of
some days must read and keep (pipelines/archive.py, docs/archive.md)."""
import datetime as dt
import json

import fastavro
import pytest

from generator.traffic import generate
from pipelines import archive as arc
from tests.unit.factories import DAY, H, make_container_event, make_declaration
from transforms.rules import load_ruleset

OOO = 10 * 60_000


@pytest.fixture(scope="module")
def traffic_archive(tmp_path_factory):
    base = tmp_path_factory.mktemp("archive")
    truth = generate(base / "traffic", days=1, seed=5, declarations_per_day=80)
    written = arc.write_archive(base / "traffic", base / "archive")
    return base, truth, written


def test_layout_is_stream_then_day_of_event_time(traffic_archive):
    base, truth, written = traffic_archive
    root = base / "archive"
    assert {p.name for p in root.iterdir()} == set(arc.STREAMS)
    for stream in arc.STREAMS:
        for folder in (root / stream).iterdir():
            assert folder.name.startswith("day=")
            assert sorted(p.name for p in folder.iterdir()) == ["part-0000.avro"]
            day = folder.name[4:]
            with open(folder / "part-0000.avro", "rb") as f:
                reader = fastavro.reader(f)
                assert reader.writer_schema["name"].endswith(("Declaration", "Manifest", "ContainerEvent",
                                                              "ControlResult"))
                for record in reader:
                    assert arc.day_of(record[arc.TIME_FIELD[stream]]).isoformat() == day
    # everything the live source delivers is archived (the generator writes only valid messages)
    assert written["rejected"] == {}
    assert {s: sum(d.values()) for s, d in written["streams"].items()} == truth["counts"]


def test_read_archive_merges_streams_in_event_time_order(traffic_archive):
    base, truth, written = traffic_archive
    days = arc.archive_days(base / "archive")
    pairs = list(arc.read_archive(base / "archive", days[0], days[-1]))
    assert len(pairs) == written["records"]
    keys = [(r[arc.TIME_FIELD[s]], arc.ARRIVAL_RANK[s]) for s, r in pairs]
    assert keys == sorted(keys)
    only = list(arc.read_archive(base / "archive", days[0], days[-1], ["control_results"]))
    assert len(only) == truth["counts"]["control_results"] and {s for s, _ in only} == {"control_results"}


def test_read_table_gives_pyarrow_users_a_table(traffic_archive):
    base, truth, _ = traffic_archive
    days = arc.archive_days(base / "archive")
    table = arc.read_table(base / "archive", "declarations", days[0], days[-1])
    assert table.num_rows == truth["counts"]["declarations"]
    assert {"declaration_id", "goods", "filed_at_ms"} <= set(table.column_names)


def test_partition_boundaries_are_utc_midnight_and_append_adds_a_part(tmp_path):
    midnight = arc.day_start_ms("2026-11-03")
    a = make_declaration(filed_at_ms=midnight - 1)
    b = make_declaration(filed_at_ms=midnight)
    counts = arc.archive_records([("declarations", a), ("declarations", b)], tmp_path)
    assert counts == {"declarations": {"2026-11-02": 1, "2026-11-03": 1}}
    arc.archive_records([("declarations", make_declaration(filed_at_ms=midnight + H))], tmp_path, append=True)
    parts = sorted(p.name for p in arc.partition_dir(tmp_path, "declarations", "2026-11-03").iterdir())
    assert parts == ["part-0000.avro", "part-0001.avro"]
    files = arc.archive_files(tmp_path, "2026-11-01", "2026-11-04")
    assert [(f.day, f.file_no) for f in files] == [("2026-11-02", 0), ("2026-11-03", 1), ("2026-11-03", 2)]
    # overwrite (the default) replaces a partition's parts
    arc.archive_records([("declarations", b)], tmp_path)
    assert [p.name for p in arc.partition_dir(tmp_path, "declarations", "2026-11-03").iterdir()] == ["part-0000.avro"]
    assert [r["declaration_id"] for _, r in arc.read_archive(tmp_path, "2026-11-02", "2026-11-03")] == [
        a["declaration_id"], b["declaration_id"]]


def test_events_sort_before_declarations_only_by_time(tmp_path):
    t = arc.day_start_ms("2026-11-02") + 5 * H
    d = make_declaration(filed_at_ms=t)
    e1 = make_container_event(d["containers"][0], "GTIN", t, "CNSHA", d["seals"])
    e0 = make_container_event(d["containers"][0], "STUF", t - H, "CNSHA", d["seals"])
    arc.archive_records([("container_events", e0), ("container_events", e1), ("declarations", d)], tmp_path)
    order = [s for s, _ in arc.read_archive(tmp_path, "2026-11-02", "2026-11-02")]
    # equal event time: declarations first, as the live source merges them
    assert order == ["container_events", "declarations", "container_events"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown stream"):
        arc.archive_records([("nonsense", {})], tmp_path)
    with pytest.raises(ValueError, match="before"):
        arc.archive_files(tmp_path, "2026-11-03", "2026-11-02")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        arc.as_day("3 Nov")
    assert arc.archive_files(tmp_path, "2026-11-01", "2026-11-02") == []


def test_replay_window_margin_and_what_is_kept():
    rs = load_ruleset()
    w = arc.replay_window("2026-11-10", "2026-11-11", rs, OOO)
    # the longest lifecycle (60 days + twice the 48 h retention) + the longest look-back (7 days)
    assert w.margin_before_days == 71
    assert w.read_from == dt.date(2026, 8, 31)
    # the last lifecycle that starts on 2026-11-11 closes within the same horizon
    assert w.read_to == dt.date(2027, 1, 15)
    start = arc.day_start_ms("2026-11-10")

    def lifecycle(did, first_filed, n=3):
        return [{"declaration_id": did, "house_document": "H" + did, "sequence": i + 1,
                 "event_time_ms": first_filed + i * 20 * DAY} for i in range(n)]

    kept = w.select(lifecycle("A", start) + lifecycle("B", start + 2 * DAY - 1) + lifecycle("C", start - 1)
                    + lifecycle("D", start + 2 * DAY))
    # a lifecycle is kept whole (its later assessments fall weeks after the window), or not at all
    assert [a["declaration_id"] for a in kept] == ["A"] * 3 + ["B"] * 3
    house = {"declaration_id": None, "house_document": "HB", "sequence": 1, "event_time_ms": start}
    assert w.select([house]) == [house]
    assert arc.replay_window("2026-11-10", "2026-11-10", rs, OOO, margin_before_days=0).read_from == dt.date(2026, 11, 10)


def test_write_archive_counts_what_it_rejects(tmp_path, monkeypatch):
    from jobs import sources

    good = make_declaration(filed_at_ms=arc.day_start_ms("2026-11-02"))
    from schemas import codec

    msgs = [("declarations", codec.encode("Declaration", good)), ("declarations", b"junk"),
            ("container_events", json.dumps({"eventType": "SHIPMENT"}).encode())]
    monkeypatch.setattr(sources, "traffic_messages", lambda _: msgs)
    result = arc.write_archive(tmp_path / "traffic", tmp_path / "archive")
    assert result["records"] == 1
    assert result["rejected"] == {"DECODE": 1, "DCSA": 1}
