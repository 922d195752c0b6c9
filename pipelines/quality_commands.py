"""The `quality` subcommand of the borderflow CLI (registered in borderflow/cli.py):

    borderflow quality --archive archive/ --out out/quality [--reference-week 2026-11-02]
                       [--from DAY --to DAY] [--no-data-docs]

Data quality per stream and day against the data contracts (schemas/expectations), drift of the
declared goods (value, mass, HS chapters, origins) against a reference week (PSI, KS), as
quality.md with PNG charts, quality.json and Great Expectations Data Docs (docs/quality.md).
"""
from __future__ import annotations

import sys


def cmd_quality(args) -> int:
    from pipelines.cli_commands import _progress_logging
    from pipelines.quality import quality_report

    _progress_logging()
    try:
        report = quality_report(args.archive, args.out, reference_week=args.reference_week, day_from=args.day_from,
                                day_to=args.day_to, data_docs=not args.no_data_docs)
    except (ValueError, FileNotFoundError) as exc:
        print(f"borderflow quality: {exc}", file=sys.stderr)
        return 2
    for stream, by_day in report["quality"].items():
        records = sum(r["records"] for r in by_day.values())
        failed = sum(r["failed_records"] for r in by_day.values())
        print(f"{stream:<18} {records:>7} records  {failed:>5} failing an expectation")
    flagged = sorted({(day, m) for day, d in report["drift"].items() for m, v in d.items()
                      if v["level"] in ("moderate", "significant")})
    if report["unreadable"]:
        print(f"{len(report['unreadable'])} unreadable stretch(es) of archive files left out (listed in quality.md)")
    ref = report["reference_week"]
    print(f"drift against {ref[0]}..{ref[1]} ({report['reference_goods_items']} goods items): flagged on "
          f"{len(flagged)} day/metric pair(s)" + (": " + ", ".join(f"{d} {m}" for d, m in flagged[:6]) if flagged else "")
          + ("" if len(flagged) <= 6 else ", ..."))
    print(f"report: {args.out}/quality.md" + (f"; Data Docs: {report['data_docs']}" if report["data_docs"] else ""))
    return 0


def add_quality_commands(subparsers) -> None:
    """Register `quality` on an argparse subparsers object."""
    q = subparsers.add_parser("quality", help="data quality and drift of an archive, per stream and day")
    q.add_argument("--archive", required=True, help="archive directory (borderflow archive)")
    q.add_argument("--out", required=True, help="output directory (quality.md, charts, data_docs/)")
    from borderflow.arguments import day

    q.add_argument("--reference-week", metavar="DAY", type=day,
                   help="first day of the reference week (default: the week before --from, else the archive's "
                        "first week); its days are not compared with it")
    q.add_argument("--from", dest="day_from", metavar="DAY", type=day,
                   help="first day to report (default: the archive's first)")
    q.add_argument("--to", dest="day_to", metavar="DAY", type=day, help="last day to report (default: the archive's last)")
    q.add_argument("--no-data-docs", action="store_true", help="skip Great Expectations and its Data Docs (fast)")
    q.set_defaults(func=cmd_quality)
