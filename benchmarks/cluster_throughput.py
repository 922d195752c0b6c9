"""Throughput of the live job on the real stack (Kafka in -> Flink cluster -> Kafka out), at
parallelism 1 and 2, against a trivial pass-through job on the same input in the same run.

    .venv/bin/python benchmarks/cluster_throughput.py                    # 20,000 events over 7 days, p1 and p2
    .venv/bin/python benchmarks/cluster_throughput.py --events 100000 --parallelism 1 2
    .venv/bin/python benchmarks/cluster_throughput.py --skip-pass-through --parallelism 2 --keep-stack

Steps: start the benchmarks' own stack unless it runs (clusterbench.BENCH_STACK: other ports and
run folder than the tests' stack; --default-stack to use that one instead); generate seeded traffic
(--days of filings, about --events messages); commit fresh consumer groups at the input topics'
current ends, publish the traffic once (borderflow.produce, event time as record timestamp); then,
for each parallelism, submit jobs/cluster_job.py --bounded (it stops at the offsets current at
start-up, so every declaration is decided: the end of input ends event time) and the pass-through
(`--pass-through TOPIC`, jobs/passthrough.py: same source, one Python map, same exactly-once
sink), each reading the same records with its own group, one job at a time.

Figures per job:
- events/s (processing): input messages / (FINISHED - the moment the last subtask was RUNNING),
  both Flink's time stamps; start-up (deploying, starting Python, opening operators) left out,
  the final checkpoint and transaction commit included;
- steady events/s: the sources' numRecordsOut, read live from the TaskManager's Prometheus
  endpoint every 0.5 s, from 10 % to 90 % of the input (the job's sustained rate; under
  backpressure the sources run at the pace of the slowest operator), with the CPU cores the
  TaskManager and the broker used meanwhile and events per TaskManager CPU-second (less sensitive
  to the other tenants of a shared machine than wall-clock rates). Caveat: a declaration is
  decided when every partition, the declarations' included, is past its deadline (filing + 5
  days), so only declarations filed in the first --days minus 5 days are decided while the input
  flows; the rest are decided at the end of the input (the end of a bounded source ends event
  time), after the window. The processing-period figure includes every decision: it is the
  headline; the steady one is the pace of intake and cross-checks with part of the decisions;
- start-up s (submitted -> all subtasks RUNNING) and what reached the output topics
  (read_committed).
Ratios: full p2 / full p1, full / pass-through at each parallelism. Appends one JSON line (facts,
parameters, runs, ratios, targets) to benchmarks/results.jsonl.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import clusterbench as cb  # noqa: E402

PASS_THROUGH_TOPIC = "bench-passthrough"
TARGETS = {"events_per_second": 10_000, "p2_over_p1": 1.6, "full_over_pass_through": 0.3}
OUTPUT_TOPICS = {"full": ("assessments", "alerts", "dead-letters"), "pass-through": (PASS_THROUGH_TOPIC,)}


def run_job(kind: str, parallelism: int, group: str, input_events: int, args, env, run_id: str) -> dict:
    from borderflow import cluster, topics

    bootstrap = cluster.bootstrap_servers(env)
    cb.wait_for_free_slots(env, parallelism)
    out_start = {t: topics.end_offsets(bootstrap, t) for t in OUTPUT_TOPICS[kind]}
    name = f"bench-{kind}-p{parallelism}-{run_id}"
    job_args = ["--bounded", "--group-id", group, "--parallelism", str(parallelism),
                "--checkpoint-interval-ms", str(args.checkpoint_interval_ms), "--job-name", name]
    if kind == "pass-through":
        job_args += ["--pass-through", PASS_THROUGH_TOPIC]
    print(f"\n{kind} p{parallelism}: submitting ...", flush=True)
    progress = cb.SourceProgress(env, name)
    progress.start()
    t_submit, job_id = time.time(), None
    try:
        job_id = cluster.submit(job_args)
        cluster.wait_for_state(job_id, {"FINISHED"}, args.job_timeout, env)
    except Exception:
        print(cluster.stack("logs", "60", capture=True).stdout[-6000:])
        if job_id:
            cb.cancel_job(env, job_id)
        raise
    finally:
        progress.stop()
    timing = cb.job_timing(env, job_id)
    end_ms = timing["end_ms"] or timing["last_subtask_finished_ms"]
    processing_s = (end_ms - timing["all_running_ms"]) / 1000
    outputs = {t: len(topics.read_range(bootstrap, t, start)) for t, start in out_start.items()}
    run = {
        "job": kind, "parallelism": parallelism, "job_id": job_id, "events": input_events,
        "client_submit_s": round(timing["created_ms"] / 1000 - t_submit, 1),
        "startup_s": round((timing["all_running_ms"] - timing["created_ms"]) / 1000, 1),
        "processing_s": round(processing_s, 2),
        "events_per_second": round(input_events / processing_s, 1),
        "steady": progress.steady(input_events),
        "source_records": progress.samples[-1][1] if progress.seen_metrics else None,
        "checkpoints": cb.checkpoints(env, job_id),
        "outputs": outputs,
    }
    steady = run["steady"] or {}
    print(f"{kind} p{parallelism}: {input_events} events in {processing_s:.1f} s = {run['events_per_second']:.0f} events/s; "
          f"steady {steady.get('events_per_second', 'n/a')} events/s; start-up {run['startup_s']} s; outputs {outputs}",
          flush=True)
    return run


def _table(runs: list[dict]) -> str:
    head = (f"{'job':<13}{'p':>2}{'events':>9}{'start-up s':>11}{'processing s':>13}{'events/s':>10}"
            f"{'steady ev/s':>12}{'TM cores':>9}{'ev/TM-CPU-s':>12}  outputs")
    lines = [head, "-" * len(head)]
    for r in runs:
        s = r["steady"] or {}
        lines.append(f"{r['job']:<13}{r['parallelism']:>2}{r['events']:>9}{r['startup_s']:>11}{r['processing_s']:>13}"
                     f"{r['events_per_second']:>10.0f}{s.get('events_per_second', float('nan')):>12.0f}"
                     f"{s.get('taskmanager_cpu_cores', float('nan')):>9.2f}"
                     f"{s.get('events_per_taskmanager_cpu_second', float('nan')):>12.0f}  "
                     + ", ".join(f"{t} {n}" for t, n in r["outputs"].items()))
    return "\n".join(lines)


def _ratios(runs: list[dict]) -> dict:
    def rate(job, p, steady=False):
        r = next((r for r in runs if r["job"] == job and r["parallelism"] == p), None)
        if r is None:
            return None
        return (r["steady"] or {}).get("events_per_second") if steady else r["events_per_second"]

    ratios = {}
    for steady in (False, True):
        suffix = "_steady" if steady else ""
        p1, p2 = rate("full", 1, steady), rate("full", 2, steady)
        if p1 and p2:
            ratios[f"full_p2_over_p1{suffix}"] = round(p2 / p1, 2)
        for p in sorted({r["parallelism"] for r in runs}):
            full, ceiling = rate("full", p, steady), rate("pass-through", p, steady)
            if full and ceiling:
                ratios[f"full_over_pass_through_p{p}{suffix}"] = round(full / ceiling, 3)
        c1, c2 = rate("pass-through", 1, steady), rate("pass-through", 2, steady)
        if c1 and c2:
            ratios[f"pass_through_p2_over_p1{suffix}"] = round(c2 / c1, 2)
    return ratios


def _targets(runs: list[dict], ratios: dict) -> dict:
    best = max((r["events_per_second"] for r in runs if r["job"] == "full"), default=None)
    out = {"events_per_second >= 10000": None if best is None else best >= TARGETS["events_per_second"]}
    if "full_p2_over_p1" in ratios:
        out["p2/p1 >= 1.6"] = ratios["full_p2_over_p1"] >= TARGETS["p2_over_p1"]
    for key, value in ratios.items():
        if key.startswith("full_over_pass_through_p") and not key.endswith("_steady"):
            out[f"{key} >= 0.3"] = value >= TARGETS["full_over_pass_through"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20_000, help="about this many input messages (default 20,000)")
    ap.add_argument("--days", type=int, default=7, help="days of filings in the traffic (default 7)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--parallelism", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--skip-pass-through", action="store_true")
    ap.add_argument("--skip-full", action="store_true", help="the pass-through ceiling only")
    ap.add_argument("--checkpoint-interval-ms", type=int, default=5000, help="as the live job's default")
    ap.add_argument("--job-timeout", type=float, default=1800, help="seconds a job may take")
    ap.add_argument("--results", default=str(cb.RESULTS))
    cb.add_stack_options(ap)
    args = ap.parse_args(argv)

    from borderflow import cluster, topics
    from borderflow.produce import produce_messages

    work = Path(tempfile.mkdtemp(prefix="cluster-throughput-"))
    try:
        t = time.perf_counter()
        messages, per_day = cb.generate_messages(work / "traffic", args.events, args.days, args.seed)
        print(f"traffic: {len(messages)} messages, {args.days} days x {per_day} declarations/day, seed {args.seed} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
        with cb.bench_stack(args) as env:
            bootstrap = cluster.bootstrap_servers(env)
            row = {"benchmark": "cluster_throughput", **cb.run_facts(env),
                   "params": {"events": len(messages), "days": args.days, "declarations_per_day": per_day,
                              "seed": args.seed, "parallelism": args.parallelism,
                              "checkpoint_interval_ms": args.checkpoint_interval_ms, "bounded": True,
                              "pass_through_topic": PASS_THROUGH_TOPIC}}
            topics.ensure_topic(bootstrap, PASS_THROUGH_TOPIC, 4)
            run_id = str(time.time_ns())
            kinds = [k for k, skip in (("full", args.skip_full), ("pass-through", args.skip_pass_through)) if not skip]
            groups = {(k, p): f"bench-{k}-p{p}-{run_id}" for k in kinds for p in args.parallelism}
            # Every job's group starts where this run's traffic begins.
            starts = {t: topics.end_offsets(bootstrap, t) for t in topics.INPUT_TOPICS}
            for group in groups.values():
                topics.commit_group_offsets(bootstrap, group, starts)
            t = time.perf_counter()
            produce_messages(messages, bootstrap, progress=False)
            print(f"published {len(messages)} messages in {time.perf_counter() - t:.1f} s", flush=True)
            runs = [run_job(k, p, groups[(k, p)], len(messages), args, env, run_id)
                    for p in args.parallelism for k in kinds]
            row["runs"] = runs
            row["ratios"] = _ratios(runs)
            row["targets_met"] = _targets(runs, row["ratios"])
            print("\n" + _table(runs))
            print("ratios:", row["ratios"])
            print("targets met:", row["targets_met"])
            cb.append_result(row, args.results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
