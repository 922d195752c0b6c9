"""borderflow: the command-line tool for the users' jobs.

    borderflow generate --days 1 --seed 7 --out traffic/      realistic traffic + ground truth
    borderflow run [--input traffic/] --out out/run           the live job on an embedded cluster
    borderflow infra up|down|status                           the local Kafka broker and Flink cluster
    borderflow produce --input traffic/ [--rate N]            publish traffic to the input topics
    borderflow submit | savepoint JOB | stop JOB | resume --from SAVEPOINT
                                                              the live job on the local cluster
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


def cmd_infra(args) -> int:
    from borderflow.cluster import stack

    return stack(args.action).returncode


def cmd_produce(args) -> int:
    from borderflow.cluster import bootstrap_servers
    from borderflow.produce import produce

    sent = produce(args.input, args.bootstrap_servers or bootstrap_servers(), rate=args.rate)
    print(f"published {sent} messages")
    return 0


def _job_args(args) -> list[str]:
    extra = ["--parallelism", str(args.parallelism), "--checkpoint-interval-ms", str(args.checkpoint_interval_ms),
             "--group-id", args.group_id]
    if args.ruleset:
        extra += ["--ruleset", args.ruleset]
    if args.bounded:
        extra.append("--bounded")
    if args.start_timestamp_ms is not None:
        extra += ["--start-timestamp-ms", str(args.start_timestamp_ms)]
    return extra


def cmd_submit(args) -> int:
    from borderflow.cluster import submit

    print(f"job {submit(_job_args(args), from_savepoint=getattr(args, 'from_savepoint', None))} submitted")
    return 0


def cmd_savepoint(args) -> int:
    from borderflow.cluster import ROOT, savepoint, stack_env, stop_with_savepoint

    target = args.target or str(ROOT / stack_env()["BF_RUN_DIR"] / "savepoints")
    path = (stop_with_savepoint if args.stop else savepoint)(args.job_id, "file://" + str(Path(target).resolve()))
    print(path)
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

    from pipelines.cli_commands import add_replay_commands

    add_replay_commands(sub)

    infra = sub.add_parser("infra", help="the local stack: Kafka (KRaft) and a standalone Flink cluster")
    infra.add_argument("action", choices=["up", "down", "status", "logs", "clean"])
    infra.set_defaults(func=cmd_infra)

    prod = sub.add_parser("produce", help="publish a traffic directory to the input topics")
    prod.add_argument("--input", required=True, help="traffic directory (borderflow generate)")
    prod.add_argument("--rate", type=float, help="messages per second (default: as fast as possible)")
    prod.add_argument("--bootstrap-servers", help="default: the local stack's broker")
    prod.set_defaults(func=cmd_produce)

    for name, helptext in (("submit", "submit the live job to the local cluster"),
                           ("resume", "submit the live job, restoring a savepoint")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--parallelism", type=int, default=1)
        p.add_argument("--checkpoint-interval-ms", type=int, default=5000)
        p.add_argument("--group-id", default="borderflow-live")
        p.add_argument("--ruleset")
        p.add_argument("--bounded", action="store_true", help="stop at the end of what the topics hold now")
        p.add_argument("--start-timestamp-ms", type=int, help="read from this publish time (default: committed offsets)")
        if name == "resume":
            p.add_argument("--from", dest="from_savepoint", required=True, help="savepoint path")
        p.set_defaults(func=cmd_submit)

    for name, stop in (("savepoint", False), ("stop", True)):
        p = sub.add_parser(name, help="stop the job with a savepoint" if stop else "take a savepoint, keep running")
        p.add_argument("job_id")
        p.add_argument("--target", help="savepoint directory (default: the stack's run folder)")
        p.set_defaults(func=cmd_savepoint, stop=stop)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
