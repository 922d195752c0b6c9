"""Reading the assessment store (Parquet by event-time day, written by the live job through
jobs/assessment_store.py; docs/assessment-store.md) with pyarrow.dataset.

    from pipelines.assessment_store import query, read_assessments
    table = query("store/", day="2026-11-02", outcome="DO_NOT_LOAD")          # pyarrow.Table
    rows = read_assessments("store/", day_from="2026-11-02", day_to="2026-11-04", ruleset_version="2026.11")

    borderflow assessments --store store/ [--day D | --from D --to D] [--outcome O] [--ruleset-version V]
                           [--alert] [--summary]
    (also: python -m pipelines.assessment_store ...)

Only committed files are read: in-progress files start with "." and the day markers with "_",
which pyarrow.dataset skips. A day filter prunes whole folders; the other filters use the Parquet
row-group statistics.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

PARTITION = "day"
OUTCOMES = ("ASSESSMENT_COMPLETE", "REQUEST_FOR_INFORMATION", "HIGH_RISK_SCREENING", "DO_NOT_LOAD",
            "CONTROL_ON_ARRIVAL")


def open_store(store_dir):
    """The store as a pyarrow Dataset, `day` (YYYY-MM-DD string) from the hive-style folders."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    store = Path(store_dir)
    if not store.is_dir():
        raise FileNotFoundError(f"no assessment store at {store}")
    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    dataset = ds.dataset(str(store), format="parquet", partitioning=partitioning)
    # Files written before a column was added lack it: read every file with the union of their
    # columns (the missing ones come back null).
    schemas = {f.physical_schema for f in dataset.get_fragments()}
    if len(schemas) > 1:
        schema = pa.unify_schemas([*schemas, pa.schema([(PARTITION, pa.string())])])
        dataset = ds.dataset(str(store), format="parquet", partitioning=partitioning, schema=schema)
    return dataset


def store_filter(day=None, day_from=None, day_to=None, outcome=None, ruleset_version=None, alert=None):
    """A pyarrow expression for the given filters (None: no filter); days as date or YYYY-MM-DD."""
    import pyarrow.dataset as ds

    from pipelines.archive import as_day

    if day is not None and (day_from is not None or day_to is not None):
        raise ValueError("give either a day or a range (day_from/day_to), not both")
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    terms = []
    if day is not None:
        terms.append(ds.field(PARTITION) == as_day(day).isoformat())
    if day_from is not None:
        terms.append(ds.field(PARTITION) >= as_day(day_from).isoformat())
    if day_to is not None:
        terms.append(ds.field(PARTITION) <= as_day(day_to).isoformat())
    if outcome is not None:
        terms.append(ds.field("outcome") == outcome)
    if ruleset_version is not None:
        terms.append(ds.field("ruleset_version") == ruleset_version)
    if alert is not None:
        terms.append(ds.field("alert") == alert)
    expression = None
    for term in terms:
        expression = term if expression is None else expression & term
    return expression


def query(store_dir, columns: list[str] | None = None, **filters):
    """Matching assessments as a pyarrow Table (columns: the store's, plus `day`)."""
    return open_store(store_dir).to_table(columns=columns, filter=store_filter(**filters))


def read_assessments(store_dir, **filters) -> list[dict]:
    """Matching assessments as RiskAssessment dicts (risk_assessment.avsc), in event-time order."""
    rows = query(store_dir, **filters).to_pylist()
    for row in rows:
        del row[PARTITION]
        row["scorecard"] = json.loads(row["scorecard"])  # stored as a JSON array (jobs/assessment_store.py)
    return sorted(rows, key=lambda a: (a["event_time_ms"], a["assessment_id"]))


def summary(store_dir, **filters) -> dict[str, dict[str, int]]:
    """Assessment counts by day and outcome."""
    table = query(store_dir, columns=[PARTITION, "outcome"], **filters)
    counts = Counter(zip(table.column(PARTITION).to_pylist(), table.column("outcome").to_pylist()))
    by_day: dict[str, dict[str, int]] = {}
    for (day, outcome), n in sorted(counts.items()):
        by_day.setdefault(day, {})[outcome] = n
    return by_day


def format_summary(by_day: dict[str, dict[str, int]]) -> str:
    header = ["day", *OUTCOMES, "total"]
    lines = [header]
    for day, counts in by_day.items():
        lines.append([day, *(str(counts.get(o, 0)) for o in OUTCOMES), str(sum(counts.values()))])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


# --- the command -----------------------------------------------------------------------------------
def cmd_assessments(args) -> int:
    filters = dict(day=args.day, day_from=args.day_from, day_to=args.day_to, outcome=args.outcome,
                   ruleset_version=args.ruleset_version, alert=True if args.alert else None)
    try:
        if args.summary:
            print(format_summary(summary(args.store, **filters)))
            return 0
        for assessment in read_assessments(args.store, **filters)[: args.limit]:
            print(json.dumps(assessment, ensure_ascii=False))
    except (FileNotFoundError, ValueError) as exc:
        print(f"borderflow assessments: {exc}", file=sys.stderr)
        return 2
    return 0


def add_assessments_command(subparsers) -> None:
    """Register `assessments` on an argparse subparsers object (borderflow/cli.py)."""
    p = subparsers.add_parser("assessments", help="query the assessment store (Parquet by event-time day)")
    p.add_argument("--store", required=True, help="store directory (the job's assessment store path)")
    from borderflow.arguments import day, positive_int

    p.add_argument("--day", metavar="DAY", type=day, help="one day, YYYY-MM-DD (UTC day of the assessment's event time)")
    p.add_argument("--from", dest="day_from", metavar="DAY", type=day, help="first day of a range")
    p.add_argument("--to", dest="day_to", metavar="DAY", type=day, help="last day of a range (inclusive)")
    p.add_argument("--outcome", choices=OUTCOMES)
    p.add_argument("--ruleset-version", metavar="V")
    p.add_argument("--alert", action="store_true", help="only alerting assessments")
    p.add_argument("--summary", action="store_true", help="counts by day and outcome instead of the assessments")
    p.add_argument("--limit", type=positive_int, help="at most this many assessments (JSON lines, event-time order)")
    p.set_defaults(func=cmd_assessments)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.assessment_store")
    add_assessments_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["assessments", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
