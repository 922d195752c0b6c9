"""borderflow: the command-line tool for the users' jobs.

    borderflow generate --days 1 --seed 7 --out traffic/      realistic traffic + ground truth
    borderflow run [--input traffic/] --out out/run           the live job on an embedded cluster
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from pathlib import Path


def _rates(values: list[str]) -> dict[str, float]:
    rates = {}
    for item in values or []:
        code, _, rate = item.partition("=")
        try:
            rates[code.strip().upper()] = float(rate)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--rate expects CODE=SHARE, got {item!r}") from None
    return rates


def _add_traffic_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, default=1, help="days of traffic (default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed: same seed, same traffic")
    p.add_argument("--declarations-per-day", type=int, default=3000, help="volume (default 3000)")
    p.add_argument("--rate", action="append", metavar="SCENARIO=SHARE",
                   help="rate of a planted scenario, e.g. SPLIT_SHIPMENT=0.02 (repeatable)")


def cmd_generate(args) -> int:
    from generator.traffic import generate

    truth = generate(args.out, days=args.days, seed=args.seed,
                     declarations_per_day=args.declarations_per_day, rates=_rates(args.rate) or None)
    print(json.dumps(truth["counts"], indent=2))
    print(f"{len(truth['instances'])} planted scenario instances; ground truth in {Path(args.out) / 'ground_truth.json'}")
    return 0


def cmd_run(args) -> int:
    from borderflow.summary import format_table
    from generator.traffic import generate
    from jobs.config import JobConfig
    from jobs.embedded import run_embedded

    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    traffic = Path(args.input) if args.input else out / "traffic"
    if not args.input:
        generate(traffic, days=args.days, seed=args.seed,
                 declarations_per_day=args.declarations_per_day, rates=_rates(args.rate) or None)
    config = JobConfig(parallelism=args.parallelism, execution_mode=args.execution_mode, ruleset=args.ruleset)
    summary = run_embedded(traffic, out, config)
    print(format_table(summary))
    print(f"outputs in {out}: assessments.avro, alerts.avro, dead_letters.avro, summary.json")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="borderflow", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write realistic traffic with planted risk scenarios")
    _add_traffic_options(gen)
    gen.add_argument("--out", required=True, help="output directory")
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="run the live job on an embedded Flink cluster")
    run.add_argument("--input", help="traffic directory (default: generate one into OUT/traffic)")
    _add_traffic_options(run)
    run.add_argument("--out", default="out/run", help="output directory (replaced)")
    run.add_argument("--ruleset", help="rule-set file or name (default: the packaged default)")
    run.add_argument("--parallelism", type=int, default=1)
    run.add_argument("--execution-mode", choices=["thread", "process"], default="thread")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
