"""The archive of the raw input streams, for analyst replay and backtesting (docs/archive.md).

Layout: one Avro object container file per stream and UTC day of the record's event time,

    ARCHIVE/<stream>/day=YYYY-MM-DD/part-0000.avro

with stream in declarations, manifests, container_events, control_results and the record in the
stream's schema (schemas/avro: Declaration, Manifest, ContainerEvent normalised from DCSA,
ControlResult). Records are what the live job accepted (decoded and validated by
transforms.intake.decode_input), in the order the live source delivered them. Any Avro tool reads
the files; pyarrow users go through fastavro (`read_table`).

    write_archive("traffic/", "archive/")                      # from a generated traffic dir
    for stream, record in read_archive("archive/", "2026-11-02", "2026-11-03"): ...
    window = replay_window("2026-11-02", "2026-11-03", ruleset) # what a replay must read and emit
"""
from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator


from schemas import codec
from transforms import intake, lifecycle

log = logging.getLogger(__name__)

STREAMS = ("declarations", "manifests", "container_events", "control_results")
# Field holding each stream's event time (the partitioning day comes from it).
TIME_FIELD = {stream: field for stream, (_, field) in intake.STREAMS.items()}
# Order of the streams at equal event time: the order in which the live source
# (jobs.sources.traffic_messages) merges them, so a replay sees ties as the live job did.
ARRIVAL_RANK = {"declarations": 0, "manifests": 1, "control_results": 2, "container_events": 3}
DAY_MS = 86_400_000
_PART_RE = re.compile(r"part-(\d{4,})\.avro$")


# --- days -----------------------------------------------------------------------------------------

def as_day(day) -> dt.date:
    """A date from "YYYY-MM-DD", a date or a datetime."""
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    try:
        return dt.date.fromisoformat(str(day))
    except ValueError:
        raise ValueError(f"expected a day as YYYY-MM-DD, got {day!r}") from None


def day_of(ms: int) -> dt.date:
    """UTC day of an epoch-millisecond instant."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).date()


def day_start_ms(day) -> int:
    d = as_day(day)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def days_between(day_from, day_to) -> list[dt.date]:
    a, b = as_day(day_from), as_day(day_to)
    if b < a:
        raise ValueError(f"day_to {b} is before day_from {a}")
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def partition_dir(archive_dir, stream: str, day) -> Path:
    return Path(archive_dir) / stream / f"day={as_day(day).isoformat()}"


# --- writing --------------------------------------------------------------------------------------

def archive_records(pairs: Iterable[tuple[str, dict]], archive_dir, append: bool = False) -> dict:
    """Archive (stream, record) pairs, kept in the given order within each partition.

    A partition that receives records is replaced (default) or gets the next part file
    (append=True). Returns {stream: {day: count}}."""
    groups: dict[tuple[str, dt.date], list] = defaultdict(list)
    for stream, record in pairs:
        if stream not in TIME_FIELD:
            raise ValueError(f"unknown stream {stream!r}; known: {', '.join(STREAMS)}")
        groups[(stream, day_of(record[TIME_FIELD[stream]]))].append(record)
    counts: dict[str, dict[str, int]] = {s: {} for s in STREAMS}
    for (stream, day), records in sorted(groups.items()):
        folder = partition_dir(archive_dir, stream, day)
        folder.mkdir(parents=True, exist_ok=True)
        existing = sorted(folder.glob("part-*.avro"))
        if append:
            n = max((int(m.group(1)) for p in existing if (m := _PART_RE.search(p.name))), default=-1) + 1
        else:
            for p in existing:
                p.unlink()
            n = 0
        tmp = folder / f".part-{n:04d}.avro.tmp"
        codec.write_avro_file(tmp, codec.STREAM_SCHEMAS[stream], records)
        tmp.replace(folder / f"part-{n:04d}.avro")
        counts[stream][day.isoformat()] = len(records)
    return {s: c for s, c in counts.items() if c}


def write_archive(traffic_dir, archive_dir, append: bool = False) -> dict:
    """Archive a generated traffic directory (generator.traffic.generate).

    The archive holds exactly what the live job accepts: the messages of
    jobs.sources.traffic_messages (each stream in its wire format, DCSA JSON for container
    events) decoded and validated by transforms.intake.decode_input, in the live arrival order.
    Rejected messages (the live job's dead letters) are counted, not archived.
    Returns {"streams": {stream: {day: n}}, "records": n, "rejected": {error_kind: n}}."""
    from jobs.sources import traffic_messages  # import here: the reading side needs no jobs/

    rejected: Counter = Counter()

    def accepted():
        for stream, payload in traffic_messages(traffic_dir):
            try:
                _, record, _ = intake.decode_input(stream, payload)
            except intake.RejectedInput as rejection:
                rejected[rejection.error_kind] += 1
                continue
            yield stream, record

    streams = archive_records(accepted(), archive_dir, append=append)
    total = sum(n for days in streams.values() for n in days.values())
    if rejected:
        log.warning("archive: %d rejected message(s) not archived: %s", sum(rejected.values()), dict(rejected))
    log.info("archive: %d records into %s", total, archive_dir)
    return {"streams": streams, "records": total, "rejected": dict(rejected)}


# --- reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveFile:
    stream: str
    day: str  # YYYY-MM-DD
    path: str
    file_no: int  # position among the stream's files (day, then part): a tie-break for ordering


def archive_days(archive_dir, streams: Iterable[str] = STREAMS) -> list[str]:
    """Days present in the archive (any of the streams), sorted."""
    days = set()
    for stream in streams:
        for p in (Path(archive_dir) / stream).glob("day=*"):
            if p.is_dir() and any(p.glob("part-*.avro")):
                days.add(p.name[4:])
    return sorted(days)


def archive_files(archive_dir, day_from, day_to, streams: Iterable[str] | None = None) -> list[ArchiveFile]:
    """The part files of the given streams for days [day_from, day_to], in stream, day, part order.
    Missing days are skipped (an archive may have gaps)."""
    streams = STREAMS if streams is None else tuple(streams)
    out = []
    for stream in streams:
        if stream not in TIME_FIELD:
            raise ValueError(f"unknown stream {stream!r}; known: {', '.join(STREAMS)}")
        n = 0
        for day in days_between(day_from, day_to):
            folder = partition_dir(archive_dir, stream, day)
            parts = sorted((p for p in folder.glob("part-*.avro") if _PART_RE.search(p.name)),
                           key=lambda p: int(_PART_RE.search(p.name).group(1)))
            for p in parts:
                out.append(ArchiveFile(stream, day.isoformat(), str(p), n))
                n += 1
    return out


def read_file(path) -> list[dict]:
    """All records of one part file (decoded in one go by fastavro); a damaged file raises
    borderflow.avro_files.CorruptAvroFile naming it and the byte offset of the damage."""
    from borderflow.avro_files import read_all_records

    return read_all_records(path)


def read_archive(archive_dir, day_from, day_to, streams: Iterable[str] | None = None) -> Iterator[tuple[str, dict]]:
    """(stream, record) for days [day_from, day_to], merged in event-time order; ties in the live
    source's stream order (ARRIVAL_RANK), then archive order."""
    by_stream: dict[str, list[ArchiveFile]] = defaultdict(list)
    for f in archive_files(archive_dir, day_from, day_to, streams):
        by_stream[f.stream].append(f)

    def stream_iter(stream, files):
        field, rank = TIME_FIELD[stream], ARRIVAL_RANK[stream]
        for f in files:
            for i, record in enumerate(read_file(f.path)):
                yield (record[field], rank, f.file_no, i), stream, record

    merged = heapq.merge(*(stream_iter(s, fs) for s, fs in by_stream.items()), key=lambda x: x[0])
    for _, stream, record in merged:
        yield stream, record


def read_table(archive_dir, stream: str, day_from, day_to):
    """One stream for days [day_from, day_to] as a pyarrow.Table (via fastavro)."""
    import pyarrow as pa

    records = [r for f in archive_files(archive_dir, day_from, day_to, [stream]) for r in read_file(f.path)]
    return pa.Table.from_pylist(records)


# --- what a replay must read ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReplayWindow:
    """Days to read and assessments to keep for a replay of days [day_from, day_to].

    read_from = day_from - margin_before_days, where margin_before = the longest lifecycle
    (transforms.lifecycle.horizon_ms: a declaration filed weeks earlier may still hold a
    container or a house document) + the longest look-back of any check (CONTAINER_REUSE /
    SPLIT_SHIPMENT / TEST_SHIPMENT windows, LATE_FILING lookback, CONTAINER_NOT_SEEN window),
    rounded up to whole days: every input a check can hold when it evaluates a declaration first
    filed in [day_from, day_to] is read, with its own earlier versions.
    read_to = the day of (end of day_to + the longest lifecycle + out-of-orderness): every input
    that can arrive before the last lifecycle of the window closes.
    Keep a declaration's whole lifecycle when its first assessment (the pre-loading answer, at
    the first filing's time) lies in [emit_from_ms, emit_to_ms); an undeclared house document's
    assessment when its own time does (`select`)."""

    day_from: dt.date
    day_to: dt.date
    read_from: dt.date
    read_to: dt.date
    emit_from_ms: int
    emit_to_ms: int
    margin_before_days: int

    def select(self, assessments) -> list[dict]:
        """The assessments of the lifecycles that belong to the window, in the order given."""
        assessments = list(assessments)
        first: dict = {}
        for a in assessments:
            key = a["declaration_id"] or a["house_document"]
            if key not in first or (a.get("sequence") or 0) < (first[key].get("sequence") or 0):
                first[key] = a
        kept = {k for k, a in first.items() if self.emit_from_ms <= a["event_time_ms"] < self.emit_to_ms}
        return [a for a in assessments if (a["declaration_id"] or a["house_document"]) in kept]


def lookback_ms(ruleset) -> int:
    """The longest time before a declaration's first filing that any check looks at."""
    cc = ruleset.cross_checks
    return max(cc["CONTAINER_REUSE"]["window_ms"], cc["SPLIT_SHIPMENT"]["window_ms"], cc["TEST_SHIPMENT"]["window_ms"],
               cc["LATE_FILING"]["lookback_ms"], cc["CONTAINER_NOT_SEEN"]["window_before_ms"])


def replay_window(day_from, day_to, ruleset, out_of_orderness_ms: int, margin_before_days: int | None = None) -> ReplayWindow:
    a, b = as_day(day_from), as_day(day_to)
    if b < a:
        raise ValueError(f"day_to {b} is before day_from {a}")
    horizon = lifecycle.horizon_ms(ruleset)
    if margin_before_days is None:
        margin_before_days = math.ceil((horizon + lookback_ms(ruleset)) / DAY_MS)
    emit_to = day_start_ms(b) + DAY_MS
    return ReplayWindow(
        day_from=a, day_to=b,
        read_from=a - dt.timedelta(days=margin_before_days),
        read_to=day_of(emit_to + horizon + out_of_orderness_ms),
        emit_from_ms=day_start_ms(a), emit_to_ms=emit_to, margin_before_days=margin_before_days,
    )
