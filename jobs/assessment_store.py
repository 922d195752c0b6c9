"""The assessment store: every risk assessment as a row of a Parquet file, a folder per event-time
day, written by the live job through Flink's filesystem sink. What analysts query
(pipelines/assessment_store.py, docs/assessment-store.md).

    STORE/day=2026-11-02/part-<uuid>-<subtask>-<n>      Parquet (snappy), hive-style partitions
    STORE/day=2026-11-02/_SUCCESS                        the day is complete (watermark past its end)

Exactly once: the sink writes in-progress files (hidden, `.part-...inprogress...`) and makes them
visible only when the checkpoint that covers them completes (bulk formats roll on every
checkpoint); after a failure the job restores the last checkpoint and discards what it wrote after
it. A bounded run commits its last files at the end of its input.

The day is the UTC day of the assessment's event time (its decision deadline), computed in Python
by the same `day_of` as the input archive (pipelines/archive.py). DataStream `FileSink` cannot
bucket by a field of the record from Python (PyFlink offers only processing-time date buckets), so
the stream enters the Table API and the filesystem connector partitions by the `day` column.
"""
from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

from pipelines.archive import day_of

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# A class only the store's jars hold: whether the client (and so the job) already has them.
PARQUET_FORMAT_CLASS = "org.apache.flink.formats.parquet.ParquetFileFormatFactory"
PARTITION = "day"

# name, SQL type (risk_assessment.avsc, flattened; enums as their symbol). The day partition is
# not in the files: it is the folder (hive partitioning), readers get it back as a column.
# The scorecard is a JSON array of its entries ({kind, code, detail, contribution}), not
# ARRAY<ROW<...>>: PyFlink 2.2.1's Python-to-Java row converter (flink-python PythonTypeUtils
# .RowDataConverter) reuses one Row object, so every element of an array of rows came out as the
# last one (seen in tests/integration/test_assessment_store.py).
COLUMNS = [
    ("assessment_id", "STRING"),
    ("declaration_id", "STRING"),
    ("declaration_version", "INT"),
    ("house_document", "STRING"),
    ("score", "DOUBLE"),
    ("outcome", "STRING"),
    ("alert", "BOOLEAN"),
    ("scorecard", "STRING"),
    ("model_score", "DOUBLE"),
    ("model_version", "STRING"),
    ("ruleset_version", "STRING"),
    ("random_selection", "BOOLEAN"),
    ("event_time_ms", "BIGINT"),
    ("processing_time_ms", "BIGINT"),
    # the lifecycle (transforms.lifecycle); null in files written before it
    ("phase", "STRING"),
    ("sequence", "INT"),
    ("supersedes", "STRING"),
    ("trigger", "STRING"),
    ("outcome_note", "STRING"),
    ("escalated", "BOOLEAN"),
    ("expected_loading_ms", "BIGINT"),
    ("expected_arrival_ms", "BIGINT"),
    (PARTITION, "STRING"),
]
SCORECARD_FIELDS = ("kind", "code", "detail", "contribution")


def scorecard_json(scorecard: list[dict]) -> str:
    return json.dumps([{f: entry[f] for f in SCORECARD_FIELDS} for entry in scorecard],
                      ensure_ascii=False, separators=(",", ":"))


def row_values(assessment: dict) -> tuple:
    """An assessment dict -> the store's column values, in COLUMNS order."""
    return (
        assessment["assessment_id"], assessment.get("declaration_id"), assessment.get("declaration_version"),
        assessment["house_document"], float(assessment["score"]), assessment["outcome"], assessment["alert"],
        scorecard_json(assessment["scorecard"]), assessment.get("model_score"), assessment.get("model_version"),
        assessment["ruleset_version"],
        assessment["random_selection"], assessment["event_time_ms"], assessment["processing_time_ms"],
        *(assessment.get(f) for f in ("phase", "sequence", "supersedes", "trigger", "outcome_note", "escalated",
                                      "expected_loading_ms", "expected_arrival_ms")),
        day_of(assessment["event_time_ms"]).isoformat(),
    )


def _row_type():
    from pyflink.common import Types

    types = {"STRING": Types.STRING(), "INT": Types.INT(), "DOUBLE": Types.DOUBLE(), "BOOLEAN": Types.BOOLEAN(),
             "BIGINT": Types.LONG()}
    return Types.ROW_NAMED([name for name, _ in COLUMNS], [types[sql] for _, sql in COLUMNS])


def _to_row(assessment: dict):
    from pyflink.common import Row

    return Row(*row_values(assessment))


# --- jars ------------------------------------------------------------------------------------------
def _connector_jar_dir() -> Path:
    """The folder infra/stack.sh fetches infra/flink/pom.xml's jars into (CONNECTOR_JARS)."""
    from borderflow.cluster import stack_env

    env = stack_env()
    jars = env.get("CONNECTOR_JARS", "")
    if jars:
        return Path(jars.split(":")[0]).parent
    return ROOT / env["BF_CACHE_DIR"] / f"flink-sql-connector-kafka-{env['BF_FLINK_KAFKA_CONNECTOR_VERSION']}"


def store_jar_urls(fetch: bool = True) -> list[str]:
    """file:// URLs of every jar infra/flink/pom.xml lists (the Parquet format, Parquet, the Hadoop
    client; the Kafka connector too: the embedded job gets the cluster's lib/ extras), fetched with
    Maven by `infra/stack.sh fetch` if they are not in the cache yet."""
    folder = _connector_jar_dir()
    if fetch and not list(folder.glob("flink-parquet-*.jar")):
        out = subprocess.run(["bash", str(ROOT / "infra" / "stack.sh"), "fetch"], cwd=ROOT,
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"infra/stack.sh fetch failed: {out.stdout[-1000:]}{out.stderr[-2000:]}")
    jars = sorted(folder.glob("*.jar"))
    if not any(j.name.startswith("flink-parquet-") for j in jars):
        raise RuntimeError(f"no flink-parquet jar in {folder}: infra/flink/pom.xml must list it "
                           "(then `infra/stack.sh fetch`)")
    return [j.resolve().as_uri() for j in jars]


def _client_has_parquet() -> bool:
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    try:
        jvm.java.lang.Class.forName(PARQUET_FORMAT_CLASS, False, jvm.Thread.currentThread().getContextClassLoader())
        return True
    except Exception:  # py4j wraps ClassNotFoundException
        return False


def ensure_store_jars(env) -> None:
    """On a cluster (`flink run`) the jars are in lib/ and on the client's class path: nothing to do.
    On the embedded mini-cluster add them to the job (pipeline.jars) and to the client's class
    loader, where the planner looks for the Parquet format."""
    if not _client_has_parquet():
        env.add_jars(*store_jar_urls())


# --- the sink --------------------------------------------------------------------------------------
def store_options(path: str | Path) -> dict[str, str]:
    """Options of the filesystem table connector for the store at `path` (a folder or a URI)."""
    path = str(path)
    if "://" not in path:
        path = Path(path).resolve().as_uri()
    return {
        "connector": "filesystem",
        "path": path,
        "format": "parquet",
        "parquet.compression": "SNAPPY",
        # _SUCCESS in a day's folder once the watermark has passed the end of that day: every
        # assessment of the day is committed (an assessment leaves at a timer <= the watermark).
        "partition.time-extractor.timestamp-pattern": "$day 00:00:00",
        "sink.partition-commit.trigger": "partition-time",
        "sink.partition-commit.delay": "1 d",
        "sink.partition-commit.watermark-time-zone": "UTC",
        "sink.partition-commit.policy.kind": "success-file",
    }


def attach_assessment_store(env, assessments, path: str | Path, name: str = "AssessmentStore") -> None:
    """Write the assessment stream (dicts as Types.PICKLED_BYTE_ARRAY, risk_assessment.avsc) to the
    Parquet store at `path`, as part of the job `env.execute()` runs.

    Needs checkpointing on an unbounded job (files become visible at checkpoints); a bounded
    embedded run commits its files at the end of input."""
    from pyflink.table import Schema, StreamTableEnvironment, TableDescriptor
    from pyflink.table.expressions import col

    ensure_store_jars(env)
    rows = assessments.map(_to_row, output_type=_row_type()).name(f"{name}Rows")
    t_env = StreamTableEnvironment.create(env)
    # Stable uids for the store's operators (the file writer and the partition committer hold
    # state), as the DataStream operators have: otherwise Flink derives them from the graph's shape.
    t_env.get_config().set("table.exec.uid.generation", "ALWAYS")
    t_env.get_config().set("table.exec.uid.format", f"{name}-<transformation>")
    # The partition commit (partition-time trigger) needs a rowtime and the stream's watermarks.
    # The rowtime is the assessment's own event time, computed in the table, not the records'
    # stream timestamps: not every assessment reaches here with one (the live job failed with
    # "Could not find timestamp in DataStream API record" once the lifecycle re-assessed on timers).
    table = t_env.from_data_stream(
        rows,
        Schema.new_builder()
        .column_by_expression("rowtime", "TO_TIMESTAMP_LTZ(event_time_ms, 3)")
        .watermark("rowtime", "SOURCE_WATERMARK()")
        .build(),
    ).select(*[col(c) for c, _ in COLUMNS])
    schema = Schema.new_builder()
    for column, sql in COLUMNS:
        schema = schema.column(column, sql)
    descriptor = TableDescriptor.for_connector("filesystem").schema(schema.build()).partitioned_by(PARTITION)
    for key, value in store_options(path).items():
        if key != "connector":
            descriptor = descriptor.option(key, value)
    statements = t_env.create_statement_set()
    statements.add_insert(descriptor.build(), table)
    statements.attach_as_datastream()
    log.info("assessment store: Parquet by day under %s", path)
