"""The assessments the workbench shows: the queue of open alerts and a case's lifecycle.

A source is either the Parquet assessment store (docs/assessment-store.md; read with
pipelines.assessment_store.open_store) or the output folder of an embedded run (`make run`:
out/run/assessments.avro), read once into an in-memory Arrow table of the same columns. Either way
the queue works on Arrow: the latest assessment of each lifecycle is computed with vectorised
Arrow/numpy operations when the store's files change (a listing of names, sizes and times is the
check), and each request filters, sorts and slices that table; no per-row Python objects except
for the page shown.
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipelines.assessment_store import OUTCOMES, PARTITION

ALERTING = ("HIGH_RISK_SCREENING", "DO_NOT_LOAD", "CONTROL_ON_ARRIVAL")
PHASES = ("PRE_LOADING", "RE_ASSESSMENT", "PRE_ARRIVAL", "OTHER")
# Outcomes the officer must act on before loading; the others before arrival.
BEFORE_LOADING = ("DO_NOT_LOAD", "HIGH_RISK_SCREENING", "REQUEST_FOR_INFORMATION")
QUEUE_COLUMNS = ["assessment_id", "declaration_id", "house_document", "score", "outcome", "alert", "phase",
                 "sequence", "ruleset_version", "model_version", "event_time_ms", "expected_loading_ms",
                 "expected_arrival_ms", "random_selection"]
SORTS = ("score", "deadline", "newest")
PAGE_SIZE = 50


# A lifecycle's key in URLs: its declaration, or HOUSE + the house document of an undeclared
# consignment (the form pipelines.backtest.subject uses).
HOUSE = "HOUSE:"


@dataclass
class QueueQuery:
    outcome: str | None = None
    phase: str | None = None
    mode: str | None = None
    port: str | None = None
    search: str | None = None  # a declaration id or house document, or a prefix of one
    sort: str = "score"
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args) -> "QueueQuery":
        """From request arguments; unknown values are an error the page shows, not a crash."""
        def pick(name, allowed=None):
            value = (args.get(name) or "").strip() or None
            if value is not None and allowed is not None and value not in allowed:
                raise ValueError(f"unknown {name} {value!r}")
            return value
        try:
            page = max(1, int(args.get("page") or 1))
        except ValueError:
            raise ValueError("page must be a number") from None
        return cls(outcome=pick("outcome", OUTCOMES), phase=pick("phase", PHASES), mode=pick("mode"),
                   port=pick("port"), search=pick("q"), sort=pick("sort", SORTS) or "score", page=page)

    def args(self, **changes) -> dict:
        """The query as URL arguments (for links to other pages and sorts)."""
        values = {"outcome": self.outcome, "phase": self.phase, "mode": self.mode, "port": self.port,
                  "q": self.search, "sort": self.sort, "page": self.page}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class QueuePage:
    rows: list[dict]
    total: int
    page: int
    pages: int
    facets: dict[str, dict[str, int]]
    newest_ms: int | None
    open_total: int = 0
    query: QueueQuery = field(default_factory=QueueQuery)


class AssessmentSource:
    """Assessments of a Parquet store or of an embedded run's folder, with a cached latest-per-
    lifecycle table for the queue."""

    def __init__(self, path: str | os.PathLike, check_every_s: float = 1.0):
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"no assessment store or run folder at {self.path}")
        self.avro = self.path / "assessments.avro"
        # An empty folder is a store the live job has not committed to yet (its queue is empty).
        self.kind = "run" if self.avro.is_file() and not _has_parquet(self.path) else "parquet"
        if self.kind == "parquet" and not _has_parquet(self.path) and any(
                p.suffix in (".avro", ".json") for p in self.path.iterdir()):
            raise FileNotFoundError(f"{self.path} holds neither a Parquet assessment store (day=*/ folders) "
                                    f"nor an embedded run's assessments.avro")
        self._lock = threading.Lock()
        self._signature = None
        self._dataset: ds.Dataset | None = None
        self._latest: pa.Table | None = None
        self._rows: pa.Table | None = None  # the queue's columns of every assessment read so far
        self._checked = 0.0
        self._alerting_cache: tuple | None = None  # (latest, entities, their alerting join)
        self.check_every_s = check_every_s

    # --- loading -----------------------------------------------------------------------------
    def signature(self):
        """What changes when the store does: {committed file: (size, mtime)}."""
        if self.kind == "run":
            st = self.avro.stat()
            return {str(self.avro): (st.st_size, st.st_mtime_ns)}
        files = {}
        for day in os.scandir(self.path):
            if day.is_dir() and day.name.startswith(PARTITION + "="):
                for f in os.scandir(day.path):
                    if not f.name.startswith((".", "_")):  # in-progress files and markers
                        st = f.stat()
                        files[f.path] = (st.st_size, st.st_mtime_ns)
        return files

    def dataset(self) -> ds.Dataset:
        """Every assessment, every column. Parquet: the store's files with the schema of every
        column (pipelines.assessment_store.open_store unifies the files' schemas the same way;
        giving it here saves reading each file's footer at every change)."""
        self._refresh()
        return self._dataset

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._signature is not None and now - self._checked < self.check_every_s:
            return  # a burst of requests lists the folders once
        self._checked = now
        signature = self.signature()
        if signature == self._signature:
            return
        with self._lock:
            if signature == self._signature:
                return
            if self.kind == "run":
                self._dataset = ds.dataset(_run_table(self.avro))
                self._rows = _queue_columns(self._dataset.to_table(columns=QUEUE_COLUMNS + [PARTITION]))
            else:
                old = self._signature or {}
                added = [f for f in signature if f not in old]
                if self._rows is None or any(signature.get(f) != st for f, st in old.items()):
                    added, self._rows = list(signature), None  # a file changed or went: read all again
                self._dataset = self._files_dataset(sorted(signature))
                new_rows = _queue_columns(self._files_dataset(added).to_table(columns=QUEUE_COLUMNS + [PARTITION]))
                # Files are immutable once committed: only the new ones are read.
                self._rows = new_rows if self._rows is None else pa.concat_tables([self._rows, new_rows])
            self._latest = latest_per_lifecycle(self._rows)
            self._signature = signature

    def _files_dataset(self, files: list[str]) -> ds.Dataset:
        partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
        return ds.dataset(files, format="parquet", partitioning=partitioning, schema=_run_schema(),
                          partition_base_dir=str(self.path))

    def latest(self) -> pa.Table:
        """The latest assessment of every lifecycle (QUEUE_COLUMNS + day + subject)."""
        self._refresh()
        return self._latest

    # --- the views' data ---------------------------------------------------------------------
    def queue(self, query: QueueQuery, closed: set[str] = frozenset(), entities: pa.Table | None = None) -> QueuePage:
        """Open alerts: lifecycles whose latest assessment alerts and that no control result has
        closed, filtered, sorted and paged. `entities` (declaration_id, mode, port) adds mode and
        port (workbench.evidence)."""
        table = self._alerting(entities)
        if closed:
            table = table.filter(pc.invert(pc.is_in(table["subject"], value_set=pa.array(sorted(closed), pa.string()))))
        open_total = table.num_rows
        facets = {name: _counts(table[name]) for name in ("outcome", "phase", "mode", "port")}
        for name, value in (("outcome", query.outcome), ("phase", query.phase), ("mode", query.mode),
                            ("port", query.port)):
            if value is not None:
                table = table.filter(pc.field(name) == value)
        if query.search:
            needle = query.search.upper()
            table = table.filter(pc.or_(pc.starts_with(pc.utf8_upper(table["subject"]), needle),
                                        pc.starts_with(pc.utf8_upper(table["house_document"]), needle)))
        keys = {"score": [("score", "descending"), ("deadline_ms", "ascending")],
                "deadline": [("deadline_ms", "ascending"), ("score", "descending")],
                "newest": [("event_time_ms", "descending")]}[query.sort]
        total = table.num_rows
        pages = max(1, -(-total // query.page_size))
        page = min(query.page, pages)
        # Nulls (no deadline known) sort last: Arrow's default placement.
        indices = pc.sort_indices(table, sort_keys=keys + [("subject", "ascending")])
        start = (page - 1) * query.page_size
        rows = table.take(indices[start:start + query.page_size]).to_pylist()
        newest = pc.max(self.latest()["event_time_ms"]).as_py() if self.latest().num_rows else None
        return QueuePage(rows=rows, total=total, page=page, pages=pages, facets=facets, newest_ms=newest,
                         open_total=open_total, query=query)

    def _alerting(self, entities: pa.Table | None) -> pa.Table:
        """The alerting latest assessments with mode and port, joined once per change of either."""
        latest = self.latest()
        cached = self._alerting_cache
        if cached is None or cached[0] is not latest or cached[1] is not entities:
            alerting = with_entities(latest.filter(pc.field("alert") == True), entities)  # noqa: E712 (Arrow)
            cached = self._alerting_cache = (latest, entities, alerting)
        return cached[2]

    def lifecycle(self, subject: str) -> list[dict]:
        """Every assessment of one lifecycle, in order, scorecards parsed."""
        if subject.startswith(HOUSE):
            expr = pc.field("declaration_id").is_null() & (pc.field("house_document") == subject[len(HOUSE):])
        else:
            expr = pc.field("declaration_id") == subject
        dataset = self.dataset()
        # The days it has assessments on, from the cached columns: only those folders are read.
        rows = self._rows
        mask = (pc.and_(pc.is_null(rows["declaration_id"]), pc.equal(rows["house_document"], subject[len(HOUSE):]))
                if subject.startswith(HOUSE) else pc.equal(rows["declaration_id"], subject))
        days = pc.unique(rows.filter(pc.fill_null(mask, False))[PARTITION]).to_pylist()
        if not days:
            return []
        expr = expr & pc.field(PARTITION).isin(days)
        rows = dataset.to_table(filter=expr).to_pylist()
        for row in rows:
            row.pop(PARTITION, None)
            row["scorecard"] = json.loads(row["scorecard"]) if isinstance(row["scorecard"], str) else row["scorecard"]
        return sorted(rows, key=lambda a: (a.get("sequence") or 0, a["event_time_ms"], a["assessment_id"]))

    def versions_in_use(self) -> dict[str, int]:
        """Rule-set versions of the latest assessments, with their lifecycle counts."""
        return _counts(self.latest()["ruleset_version"])


def _has_parquet(path: Path) -> bool:
    return any(p.is_dir() and p.name.startswith(PARTITION + "=") for p in path.iterdir())


def _run_table(avro_path: Path) -> pa.Table:
    """An embedded run's assessments.avro as the store's columns (scorecard as JSON, + day)."""
    from pipelines.archive import day_of
    from schemas import codec

    rows = []
    for a in codec.read_avro_file(avro_path):
        a = dict(a)
        a["scorecard"] = json.dumps(a["scorecard"], ensure_ascii=False)
        a[PARTITION] = day_of(a["event_time_ms"]).isoformat()
        rows.append(a)
    return pa.Table.from_pylist(rows, schema=_run_schema()) if rows else _run_schema().empty_table()


def _run_schema() -> pa.Schema:
    return pa.schema([
        ("assessment_id", pa.string()), ("declaration_id", pa.string()), ("declaration_version", pa.int32()),
        ("house_document", pa.string()), ("score", pa.float64()), ("outcome", pa.string()), ("alert", pa.bool_()),
        ("scorecard", pa.string()), ("model_score", pa.float64()), ("model_version", pa.string()),
        ("ruleset_version", pa.string()), ("random_selection", pa.bool_()), ("event_time_ms", pa.int64()),
        ("processing_time_ms", pa.int64()), ("phase", pa.string()), ("sequence", pa.int32()),
        ("supersedes", pa.string()), ("trigger", pa.string()), ("outcome_note", pa.string()),
        ("escalated", pa.bool_()), ("expected_loading_ms", pa.int64()), ("expected_arrival_ms", pa.int64()),
        (PARTITION, pa.string())])


def _queue_columns(table: pa.Table) -> pa.Table:
    """QUEUE_COLUMNS + day, with the store's types (a store written before the lifecycle lacks
    some columns: nulls)."""
    schema = _run_schema()
    columns = {name: table[name] if name in table.column_names else pa.nulls(table.num_rows, schema.field(name).type)
               for name in QUEUE_COLUMNS + [PARTITION]}
    return pa.table(columns).cast(pa.schema([schema.field(n) for n in columns]))


def latest_per_lifecycle(rows: pa.Table) -> pa.Table:
    """The last assessment (by sequence, then event time) of each lifecycle in `rows` (the queue's
    columns), with `subject` and `deadline_ms` (expected loading for the outcomes acted on before
    loading, else expected arrival)."""
    table = _queue_columns(rows)
    house = pc.binary_join_element_wise(HOUSE, table["house_document"], "")
    subject = pc.coalesce(table["declaration_id"], house)
    table = table.append_column("subject", subject)
    if table.num_rows == 0:
        return table.append_column("deadline_ms", pa.array([], pa.int64()))
    subject = subject.combine_chunks() if isinstance(subject, pa.ChunkedArray) else subject
    codes = pc.dictionary_encode(subject).indices.to_numpy()  # one dictionary for all rows
    sequence = pc.fill_null(table["sequence"], 0).to_numpy()
    event_time = table["event_time_ms"].to_numpy()
    order = np.lexsort((event_time, sequence, codes))  # by lifecycle, then sequence, then time
    sorted_codes = codes[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = sorted_codes[1:] != sorted_codes[:-1]
    latest = table.take(pa.array(order[last]))
    before_loading = pc.is_in(latest["outcome"], value_set=pa.array(BEFORE_LOADING))
    deadline = pc.if_else(before_loading, latest["expected_loading_ms"], latest["expected_arrival_ms"])
    return latest.append_column("deadline_ms", deadline)


def with_entities(table: pa.Table, entities: pa.Table | None) -> pa.Table:
    """Adds `mode` and `port` by declaration (null where the declaration is not known)."""
    if entities is not None and entities.num_rows:
        joined = table.join(entities, keys="declaration_id", join_type="left outer")
        return joined.combine_chunks()
    return table.append_column("mode", pa.nulls(table.num_rows, pa.string())).append_column(
        "port", pa.nulls(table.num_rows, pa.string()))


def _counts(column) -> dict[str, int]:
    counts = pc.value_counts(column).to_pylist()
    return dict(sorted(((c["values"] if c["values"] is not None else "(unknown)", c["counts"]) for c in counts),
                       key=lambda kv: (-kv[1], kv[0])))
