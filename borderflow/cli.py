"""borderflow: the command-line tool for the users' jobs.

    borderflow generate --days 1 --seed 7 --out traffic/      realistic traffic + ground truth
    borderflow run [--input traffic/] --out out/run           the live job on an embedded cluster
    borderflow infra up|down|status                           the local Kafka broker and Flink cluster
    borderflow produce --input traffic/ [--rate N]            publish traffic to the input topics
    borderflow submit | savepoint JOB | stop JOB | resume --from SAVEPOINT
                                                              the live job on the local cluster
    borderflow publish ruleset FILE | model URI --version V [--effective-from TIME]
                                                              a new version, taken up without a restart
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

from borderflow.arguments import (OneLineParser, failed, non_negative_int, positive_float, positive_int, rates,
                                  scenario_rate)

# What `borderflow run` writes into --out; a later run replaces these and refuses a folder holding anything else.
RUN_OUTPUTS = ("assessments.avro", "alerts.avro", "dead_letters.avro", "summary.json", "traffic", "sink")


def _add_traffic_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=positive_int, default=1, help="days of traffic (default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed: same seed, same traffic (default 7)")
    p.add_argument("--declarations-per-day", type=positive_int, default=3000, help="volume (default 3000)")
    p.add_argument("--rate", action="append", type=scenario_rate, metavar="SCENARIO=SHARE",
                   help="rate of a planted scenario, e.g. SPLIT_SHIPMENT=0.02 (repeatable)")


def cmd_generate(args) -> int:
    from generator.traffic import generate

    truth = generate(args.out, days=args.days, seed=args.seed,
                     declarations_per_day=args.declarations_per_day, rates=rates(args.rate) or None)
    width = max(map(len, truth["counts"]))
    for stream, n in truth["counts"].items():
        print(f"{stream:<{width}} {n:>8}")
    print(f"{len(truth['instances'])} planted scenario instances; ground truth in {Path(args.out) / 'ground_truth.json'}")
    return 0


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _clear_previous_run(out: Path, keep: list[Path], also_ours: list[Path]) -> None:
    """Ready `out` for a run: remove a previous run's outputs (RUN_OUTPUTS, and `also_ours`,
    e.g. an assessment store inside it), never anything else and never what `keep` lies in.
    A folder holding anything else is refused: a run only deletes what a run wrote."""
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"--out {out} is a file, not a folder")
    ours = set(RUN_OUTPUTS) | {p.resolve().relative_to(out.resolve()).parts[0] for p in also_ours}
    others = sorted(p.name for p in out.iterdir() if p.name not in ours)
    if others:
        raise FileExistsError(f"--out {out} holds files no run wrote ({', '.join(others[:5])}"
                              f"{', ...' if len(others) > 5 else ''}); give a new or empty folder")
    for name in sorted(ours):
        p = out / name
        if any(_inside(k, p) for k in keep) or not (p.exists() or p.is_symlink()):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def cmd_run(args) -> int:
    from borderflow.summary import format_table
    from jobs.config import JobConfig
    from jobs.sources import traffic_files
    from transforms.rules import load_ruleset

    log = logging.getLogger("borderflow.run")
    logging.getLogger("borderflow").setLevel(logging.INFO)
    out = Path(args.out)
    # Every input is checked before anything is written or removed.
    if args.input:
        traffic_files(args.input)
    load_ruleset(args.ruleset)
    updates = [_ruleset_update_spec(spec) for spec in args.ruleset_update or ()]
    if args.model:
        from transforms.model import read_metadata

        read_metadata(args.model)
    store = [Path(args.assessment_store)] if args.assessment_store and _inside(Path(args.assessment_store), out) else []
    _clear_previous_run(out, keep=[Path(args.input)] if args.input else [], also_ours=store)

    traffic = Path(args.input) if args.input else out / "traffic"
    if not args.input:
        from generator.traffic import generate

        log.info("generating %d day(s) of traffic, %d declarations a day, into %s", args.days,
                 args.declarations_per_day, traffic)
        generate(traffic, days=args.days, seed=args.seed,
                 declarations_per_day=args.declarations_per_day, rates=rates(args.rate) or None)
    from jobs.embedded import run_embedded

    config = JobConfig(parallelism=args.parallelism, execution_mode=args.execution_mode, ruleset=args.ruleset,
                       model=args.model, assessment_store=args.assessment_store)
    summary = run_embedded(traffic, out, config, control_updates=updates)
    print(format_table(summary))
    print(f"outputs in {out}: assessments.avro, alerts.avro, dead_letters.avro, summary.json")
    return 0


def _time_ms(text: str) -> int:
    """'now', epoch milliseconds, or an ISO 8601 time (UTC unless it says otherwise)."""
    import time
    from datetime import datetime, timezone

    if text == "now":
        return int(time.time() * 1000)
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'now', epoch ms or an ISO 8601 time, got {text!r}") from None
    return int((t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp() * 1000)


def _ruleset_update(path: str, effective_from_ms: int) -> dict:
    """A ControlUpdate for a rule-set file or overlay (pipelines/rulesets.py merges overlays)."""
    from pipelines.rulesets import merged_dict
    from transforms import control

    return control.ruleset_update(merged_dict(path), effective_from_ms)


def _ruleset_update_spec(spec: str) -> dict:
    """FILE[@TIME]: a rule-set file or overlay, effective from TIME (default: from the start)."""
    from transforms import control

    path, _, when = spec.partition("@")
    return _ruleset_update(path, _time_ms(when) if when else control.NEVER + 1)


def cmd_publish(args) -> int:
    from borderflow.cluster import bootstrap_servers
    from borderflow.produce import publish_update
    from transforms import control

    effective = _time_ms(args.effective_from)
    try:
        if args.kind == "ruleset":
            update = _ruleset_update(args.source, effective)
        else:
            update = control.model_update(args.source, args.version, effective)
            control.validate_update(update)  # refuse here what the job would refuse
        publish_update(update, args.bootstrap_servers or bootstrap_servers())
    except (RuntimeError, ValueError, FileNotFoundError) as exc:  # e.g. the broker refused the client
        return failed("publish", exc)
    print(f"published {args.kind} {update['version']} to {control.TOPIC_OF_KIND[update['kind']]}, "
          f"effective from event time {update['effective_from_ms']}")
    return 0


def cmd_infra(args) -> int:
    from borderflow.cluster import stack

    return stack(args.action).returncode


def cmd_produce(args) -> int:
    from borderflow.cluster import bootstrap_servers
    from borderflow.produce import produce

    try:
        sent = produce(args.input, args.bootstrap_servers or bootstrap_servers(), rate=args.rate)
    except (RuntimeError, ValueError, FileNotFoundError) as exc:  # e.g. the broker refused the client
        return failed("produce", exc)
    print(f"published {sent} messages")
    return 0


def _job_args(args) -> list[str]:
    extra = ["--parallelism", str(args.parallelism), "--checkpoint-interval-ms", str(args.checkpoint_interval_ms),
             "--group-id", args.group_id]
    if args.ruleset:
        extra += ["--ruleset", args.ruleset]
    if args.model:
        extra += ["--model", args.model]
    if args.assessment_store != "none":
        from borderflow.cluster import ROOT, stack_env

        store = args.assessment_store or str(ROOT / stack_env()["BF_RUN_DIR"] / "assessment-store")
        extra += ["--assessment-store", store]
    if args.bounded:
        extra.append("--bounded")
    if args.start_timestamp_ms is not None:
        extra += ["--start-timestamp-ms", str(args.start_timestamp_ms)]
    return extra


def cmd_submit(args) -> int:
    from borderflow.cluster import submit

    job_id = submit(_job_args(args), from_savepoint=getattr(args, "from_savepoint", None),
                    allow_non_restored_state=getattr(args, "allow_non_restored_state", False))
    print(f"job {job_id} submitted")
    return 0


def cmd_savepoint(args) -> int:
    from borderflow.cluster import ROOT, savepoint, stack_env, stop_with_savepoint

    target = args.target or str(ROOT / stack_env()["BF_RUN_DIR"] / "savepoints")
    target = "file://" + str(Path(target).resolve())
    path = stop_with_savepoint(args.job_id, target, drain=args.drain) if args.stop else savepoint(args.job_id, target)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="borderflow", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write realistic traffic with planted risk scenarios")
    _add_traffic_options(gen)
    gen.add_argument("--out", required=True, help="output directory")
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="run the live job on an embedded Flink cluster")
    run.add_argument("--input", help="traffic directory (default: generate one into OUT/traffic)")
    _add_traffic_options(run)
    run.add_argument("--out", default="out/run",
                     help="output directory (default out/run): new, empty or a previous run's, whose outputs are "
                          "replaced; a folder holding other files is refused")
    run.add_argument("--ruleset", help="rule-set file or name (default: the packaged default)")
    run.add_argument("--ruleset-update", action="append", metavar="FILE[@TIME]",
                     help="publish a rule set (file or overlay) to the run, effective from TIME in event time "
                          "(ISO 8601 or epoch ms; default: from the start); repeatable")
    run.add_argument("--model", help="model registry URI to score with (default: no model)")
    run.add_argument("--assessment-store", help="also write the assessments to a Parquet store in this folder "
                                                "(borderflow assessments --store DIR queries it)")
    run.add_argument("--parallelism", type=positive_int, default=1,
                     help="parallelism of every operator of the job (default 1)")
    run.add_argument("--execution-mode", choices=["thread", "process"], default="thread",
                     help="PyFlink Python execution: in the JVM (thread, default) or in worker processes")
    run.set_defaults(func=cmd_run)

    from pipelines.cli_commands import add_replay_commands

    add_replay_commands(sub)

    from pipelines.assessment_store import add_assessments_command

    add_assessments_command(sub)

    from pipelines.model_commands import add_model_commands

    add_model_commands(sub)

    from pipelines.quality_commands import add_quality_commands

    add_quality_commands(sub)

    from workbench.command import add_workbench_command

    add_workbench_command(sub)

    infra = sub.add_parser("infra", help="the local stack: Kafka (KRaft) and a standalone Flink cluster")
    infra.add_argument("action", choices=["up", "down", "status", "logs", "clean"],
                       help="up: start the broker and the cluster (idempotent); down: stop both; status: what runs; "
                            "logs: the last 40 lines of each Kafka and Flink log; clean: down, then delete the "
                            "stack's run folder (topics, checkpoints, logs; the jars stay)")
    infra.set_defaults(func=cmd_infra)

    prod = sub.add_parser("produce", help="publish a traffic directory to the input topics")
    prod.add_argument("--input", required=True, help="traffic directory (borderflow generate)")
    prod.add_argument("--rate", type=positive_float, help="messages per second (default: as fast as possible)")
    prod.add_argument("--bootstrap-servers", help="default: the local stack's broker")
    prod.set_defaults(func=cmd_produce)

    for name, helptext in (("submit", "submit the live job to the local cluster"),
                           ("resume", "submit the live job, restoring a savepoint")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--parallelism", type=positive_int, default=1,
                       help="parallelism of the job (default 1; one TaskManager slot each)")
        p.add_argument("--checkpoint-interval-ms", type=positive_int, default=5000,
                       help="checkpoint every this many ms (default 5000)")
        p.add_argument("--group-id", default="borderflow-live", help="Kafka consumer group (default borderflow-live)")
        p.add_argument("--ruleset", help="rule set the job starts with (later ones: borderflow publish)")
        p.add_argument("--model", help="model registry URI the job starts with (later ones: borderflow publish)")
        p.add_argument("--assessment-store", help="Parquet store of the assessments (default: the stack's run "
                                                   "folder/assessment-store; 'none': no store)")
        p.add_argument("--bounded", action="store_true", help="stop at the end of what the topics hold now")
        p.add_argument("--start-timestamp-ms", type=non_negative_int, help="read from this publish time (default: committed offsets)")
        if name == "resume":
            p.add_argument("--from", dest="from_savepoint", required=True, help="savepoint path")
            p.add_argument("--allow-non-restored-state", action="store_true",
                           help="drop the savepoint's state of operators the new job lacks (Flink's "
                                "--allowNonRestoredState; the job logs each one skipped)")
        p.set_defaults(func=cmd_submit)

    pub = sub.add_parser("publish", help="publish a rule set or a model to the running job (no restart)")
    pub.add_argument("kind", choices=["ruleset", "model"])
    pub.add_argument("source", help="ruleset: a rule-set file or overlay; model: its registry URI")
    pub.add_argument("--version", help="model: the version the registry artifact carries")
    pub.add_argument("--effective-from", default="now",
                     help="event time from which it decides: 'now' (default), ISO 8601 or epoch ms")
    pub.add_argument("--bootstrap-servers", help="default: the local stack's broker")
    pub.set_defaults(func=cmd_publish)

    for name, stop in (("savepoint", False), ("stop", True)):
        p = sub.add_parser(name, help="stop the job with a savepoint" if stop else "take a savepoint, keep running")
        p.add_argument("job_id")
        p.add_argument("--target", help="savepoint directory (default: the stack's run folder)")
        if stop:
            p.add_argument("--drain", action="store_true",
                           help="end event time first: decide every open declaration (the job will not be resumed)")
        p.set_defaults(func=cmd_savepoint, stop=stop, drain=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    # Bad input or settings and failed I/O end in one line (RuleSetError, ModelMismatch,
    # CorruptAvroFile are ValueErrors); anything else is a bug and keeps its traceback.
    except (ValueError, OSError, EOFError, RuntimeError, argparse.ArgumentTypeError) as exc:
        return failed(args.command, exc)


if __name__ == "__main__":
    sys.exit(main())
