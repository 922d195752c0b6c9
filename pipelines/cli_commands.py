"""The replay subcommands of the borderflow CLI: archive, replay, backtest.

borderflow/cli.py registers them with one line in build_parser():

    from pipelines.cli_commands import add_replay_commands
    add_replay_commands(sub)

    borderflow archive --input traffic/ --archive archive/
    borderflow replay --archive archive/ --from 2026-11-02 --to 2026-11-03 --out out/replay [--rules FILE]
                      [--model module:attr] [--runner direct|flink] [--workers N]
    borderflow backtest --archive archive/ --baseline default --candidate my-rules.yaml
                        --from 2026-11-02 --to 2026-11-03 --out out/backtest
"""
from __future__ import annotations

import json
import logging
import sys


def _progress_logging() -> None:
    # Progress lines per stage (borderflow.replay / borderflow.backtest); Beam's own stay quiet.
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("borderflow", "pipelines"):
        logging.getLogger(name).setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")


def cmd_archive(args) -> int:
    from pipelines.archive import write_archive

    _progress_logging()
    result = write_archive(args.input, args.archive, append=args.append)
    for stream, days in result["streams"].items():
        print(f"{stream:<18} " + "  ".join(f"{d}: {n}" for d, n in days.items()))
    rejected = ", ".join(f"{kind} {n}" for kind, n in sorted(result["rejected"].items()))
    print(f"{result['records']} records archived in {args.archive}"
          + (f"; {sum(result['rejected'].values())} rejected messages not archived ({rejected})" if rejected else ""))
    return 0


def cmd_replay(args) -> int:
    from borderflow.summary import format_table
    from pipelines.replay import resolve_model, run_replay

    _progress_logging()
    try:
        summary = run_replay(args.archive, args.day_from, args.day_to, args.out, ruleset=args.rules,
                             runner=args.runner, model=resolve_model(args.model), direct_num_workers=args.workers,
                             direct_running_mode=args.mode)
    except (RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"borderflow replay: {exc}", file=sys.stderr)
        return 2
    print(format_table(summary))
    r = summary["replay"]
    print(f"days {r['days'][0]}..{r['days'][1]} (read {r['read_days'][0]}..{r['read_days'][1]}), rule set {r['ruleset']}")
    print(f"outputs in {args.out}: assessments.avro, alerts.avro, dead_letters.avro, summary.json")
    return 0


def cmd_backtest(args) -> int:
    from pipelines.backtest import run_backtest

    _progress_logging()
    try:
        stats = run_backtest(args.archive, args.day_from, args.day_to, args.baseline, args.candidate, args.out,
                             runner=args.runner)
    except (RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"borderflow backtest: {exc}", file=sys.stderr)
        return 2
    a, b = stats["baseline"], stats["candidate"]
    print(json.dumps({
        "baseline": {k: a[k] for k in ("ruleset", "alerts", "alerts_per_day", "hit_rate")},
        "candidate": {k: b[k] for k in ("ruleset", "alerts", "alerts_per_day", "hit_rate")},
        "gained": stats["gained"]["total"], "lost": stats["lost"]["total"],
        "changed_outcomes": stats["changed_outcomes"],
    }, indent=2))
    print(f"report: {stats['report']}")
    return 0


def add_replay_commands(subparsers) -> None:
    """Register `archive`, `replay` and `backtest` on an argparse subparsers object."""
    from borderflow.arguments import day, positive_int
    from pipelines.defaults import DEFAULT_DIRECT_MODE, DEFAULT_DIRECT_WORKERS

    arc = subparsers.add_parser("archive", help="archive a traffic directory as Avro files by stream and day")
    arc.add_argument("--input", required=True, help="traffic directory (borderflow generate)")
    arc.add_argument("--archive", required=True, help="archive directory (docs/archive.md)")
    arc.add_argument("--append", action="store_true",
                     help="add part files to existing day partitions instead of replacing them")
    arc.set_defaults(func=cmd_archive)

    def runner_options(p):
        p.add_argument("--runner", choices=["direct", "flink"], default="direct",
                       help="Beam runner (default direct; flink needs the Flink 1.19 job server jar, docs/archive.md)")

    rep = subparsers.add_parser("replay", help="re-run the risk assessment over archived days (Apache Beam)")
    rep.add_argument("--archive", required=True, help="archive directory")
    rep.add_argument("--from", dest="day_from", required=True, metavar="DAY", type=day, help="first day, YYYY-MM-DD")
    rep.add_argument("--to", dest="day_to", required=True, metavar="DAY", type=day,
                     help="last day, YYYY-MM-DD (inclusive)")
    rep.add_argument("--rules", help="rule-set file or name (default: the packaged default)")
    rep.add_argument("--model", metavar="MODULE:ATTR", help="a ModelScorer to score with (default: none, as live)")
    rep.add_argument("--out", required=True, help="output directory")
    runner_options(rep)
    rep.add_argument("--workers", type=positive_int, default=DEFAULT_DIRECT_WORKERS,
                     help=f"DirectRunner workers (default {DEFAULT_DIRECT_WORKERS})")
    rep.add_argument("--mode", choices=["in_memory", "multi_threading", "multi_processing"],
                     default=DEFAULT_DIRECT_MODE, help=f"DirectRunner running mode (default {DEFAULT_DIRECT_MODE})")
    rep.set_defaults(func=cmd_replay)

    bt = subparsers.add_parser("backtest", help="compare a candidate rule set with the baseline over archived days")
    bt.add_argument("--archive", required=True, help="archive directory")
    bt.add_argument("--baseline", required=True, metavar="RULES_A", help="baseline rule-set file or name")
    bt.add_argument("--candidate", required=True, metavar="RULES_B", help="candidate rule-set file or name")
    bt.add_argument("--from", dest="day_from", required=True, metavar="DAY", type=day,
                    help="first day to compare, YYYY-MM-DD")
    bt.add_argument("--to", dest="day_to", required=True, metavar="DAY", type=day,
                    help="last day to compare, YYYY-MM-DD (inclusive)")
    bt.add_argument("--out", required=True, help="output directory (backtest.md, charts, both replays)")
    runner_options(bt)
    bt.set_defaults(func=cmd_backtest)

