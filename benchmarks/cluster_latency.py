"""Event-to-assessment latency of the live job on the real stack, at a fixed input rate.

    .venv/bin/python benchmarks/cluster_latency.py                          # 2,000 events/s, checkpoints 1 s and 5 s
    .venv/bin/python benchmarks/cluster_latency.py --rates 500 1000 2000 --checkpoint-intervals 1000
    .venv/bin/python benchmarks/cluster_latency.py --rates 100 --duration 120 --keep-stack

For each (rate, checkpoint interval): the live job (jobs/cluster_job.py, unbounded, exactly-once
sink) is submitted with a fresh consumer group committed at the input topics' current ends; once
all its subtasks run and a checkpoint has completed, seeded generator traffic (`--days` of filings,
rate x duration messages) is published at the fixed rate (borderflow.produce.produce_messages:
event time as the Kafka record timestamp), while two consumer processes read the assessments
topic, one read_uncommitted and one read_committed, noting the wall time each assessment arrives.
After the traffic, the run waits for the committed assessments to stop coming (or --drain-timeout),
then cancels the job.

First assessment: the pre-loading answer is made on receipt of its filing, so its latency runs
from the broker's acknowledgement of that declarations record to the assessment reaching each
consumer (`first_assessment` in each figure): what an officer, or a carrier waiting for a
loading decision, waits for.

Re-assessment latency (borderflow/latency.py): an assessment with event time T is due
when every input partition holds a record with timestamp > T + out-of-orderness (the job's
watermark is the minimum of per-partition watermarks, max timestamp - out-of-orderness - 1). Its
triggering record is the last of those to be acknowledged by the broker, per the producer's
delivery reports (partition, offset, timestamp, wall time of the report). Latency = wall time the
consumer receives the assessment - wall time its triggering record was acknowledged:
- decision latency: the read_uncommitted consumer (visible as soon as the sink writes it);
- visible latency: the read_committed consumer; it adds the exactly-once sink's wait for the next
  checkpoint (transactions commit when a checkpoint completes): about half the checkpoint
  interval on average, up to a whole interval plus the checkpoint's duration;
- in-job latency: the assessment's processing_time_ms (the TaskManager's clock when the assessor
  decided) - the same acknowledgement.
Partitions without a record in the run are left out (the job counts them idle after 60 s);
assessments no acknowledged record made due are counted, not measured.

Which assessments: an instant is reached through records only while every partition keeps
moving, so re-assessments and pre-arrival assessments due after the end of the traffic (most
pre-arrival ones: voyages last weeks of event time) are decided once the partitions turn idle,
which the run does not wait for; they are counted as not triggered.

Event time: the traffic spans --days of filings (and container events some days beyond) published
in `duration` seconds, so event time runs about 10^4 times faster than wall time (hours of event
time per second). That does not bias this measure, which starts at the acknowledgement of the
record that made the assessment due; the 10-minute out-of-orderness is then only milliseconds of
wall time. If the job cannot keep up with the rate, the backlog grows during the run and the
latencies measure the backlog, not the steady state: the run prints the job's consumption rate
and its backlog when the traffic ends.

Appends one JSON line (facts, parameters, one entry per run) to benchmarks/results.jsonl.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import clusterbench as cb  # noqa: E402

TARGET_P99_S = 1.0
TARGET_RATE = 2000


def collect_assessments(bootstrap: str, topic: str, start: dict, isolation: str, stop, count, out_path: str) -> None:
    """Consumer process: (assessment_id, event_time_ms, processing_time_ms, received_at_s, phase) of every
    assessment from `start` until `stop` is set, written to out_path as JSON."""
    from confluent_kafka import Consumer, TopicPartition

    from schemas import codec

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-latency-{isolation}-{os.getpid()}",
                         "enable.auto.commit": False, "isolation.level": isolation, "fetch.wait.max.ms": 50})
    consumer.assign([TopicPartition(topic, int(p), o) for p, o in start.items()])
    rows = []
    try:
        while not stop.is_set():
            messages = consumer.consume(500, 0.1)
            now = time.time()
            for msg in messages:
                if msg.error():
                    continue
                a = codec.decode("RiskAssessment", msg.value())
                rows.append((a["assessment_id"], a["event_time_ms"], a["processing_time_ms"], now, a.get("phase")))
            with count.get_lock():
                count.value = len(rows)
    finally:
        consumer.close()
        Path(out_path).write_text(json.dumps(rows))


def _summary(latencies: list[float]) -> dict:
    return {"n": len(latencies), **{f"p{q}_s": None if not latencies else round(cb.percentile(latencies, q), 3)
                                    for q in (50, 95, 99)},
            "max_s": round(max(latencies), 3) if latencies else None}


def analyse(acks: list, received: dict[str, list], out_of_orderness_ms: int) -> dict:
    """Latency figures of one run from the delivery reports and what the consumers received."""
    from borderflow.latency import DueTimes
    from transforms import topology

    # Only the streams the checks read drive the job's event time (jobs/live_job.py).
    timed = {t for t in {a[0] for a in acks} if topology.read_by_checks(t.replace("-", "_"))}
    due = DueTimes([a for a in acks if a[0] in timed], out_of_orderness_ms)
    out, triggers_by_topic = {"input_partitions_with_records": len(due.partitions)}, Counter()
    # The pre-loading answer is made on receipt of its filing: its trigger is that filing record
    # (the declarations record whose timestamp, filed_at_ms, is the assessment's event time).
    filing_acked: dict[int, float] = {}
    for topic, _p, _o, ts, acked_at in acks:
        if topic == "declarations":
            filing_acked[ts] = min(filing_acked.get(ts, acked_at), acked_at)
    for name, rows in received.items():
        latencies, untriggered, negative, in_job, seen = [], 0, 0, [], set()
        first, first_in_job = [], []
        by_trigger_time = []
        for assessment_id, event_time_ms, processing_time_ms, received_at, phase in rows:
            if assessment_id in seen:
                continue  # read_uncommitted may see a record of an aborted transaction again
            seen.add(assessment_id)
            if phase == "PRE_LOADING":
                if event_time_ms in filing_acked:
                    first.append(received_at - filing_acked[event_time_ms])
                    first_in_job.append(processing_time_ms / 1000 - filing_acked[event_time_ms])
                continue
            trig = due.trigger(event_time_ms)
            if trig is None:
                untriggered += 1
                continue
            acked_at, (topic, _p) = trig
            latency = received_at - acked_at
            negative += latency < 0
            latencies.append(latency)
            by_trigger_time.append((acked_at, latency))
            if name == "read_uncommitted":
                triggers_by_topic[topic] += 1
                in_job.append(processing_time_ms / 1000 - acked_at)
        by_trigger_time.sort()
        third = len(by_trigger_time) // 3
        out[name] = {**_summary(latencies), "received": len(seen), "not_triggered_by_a_record": untriggered,
                     "negative": negative,
                     "p50_first_third_s": round(cb.percentile([l for _, l in by_trigger_time[:third]], 50), 3) if third else None,
                     "p50_last_third_s": round(cb.percentile([l for _, l in by_trigger_time[-third:]], 50), 3) if third else None}
        out[name]["first_assessment"] = _summary(first)
        if name == "read_uncommitted":
            out["in_job"] = _summary(in_job)
            out["in_job"]["first_assessment"] = _summary(first_in_job)
    out["triggering_topic"] = dict(triggers_by_topic)
    return out


def run_once(rate: int, checkpoint_ms: int, messages: list, args, env, run_id: str) -> dict:
    from borderflow import cluster, topics
    from borderflow.produce import produce_messages
    from jobs.config import JobConfig

    bootstrap = cluster.bootstrap_servers(env)
    cb.wait_for_free_slots(env, args.parallelism)
    name = f"bench-latency-r{rate}-c{checkpoint_ms}-{run_id}"
    topics.start_group_at_ends(bootstrap, name)
    out_start = topics.end_offsets(bootstrap, "assessments")
    print(f"\nrate {rate}/s, checkpoints every {checkpoint_ms} ms: submitting ...", flush=True)
    job_id = cluster.submit(["--group-id", name, "--parallelism", str(args.parallelism),
                             "--checkpoint-interval-ms", str(checkpoint_ms), "--job-name", name])
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    work = Path(tempfile.mkdtemp(prefix="cluster-latency-"))
    consumers, counts = {}, {}
    progress = cb.SourceProgress(env, name)
    try:
        deadline = time.monotonic() + args.startup_timeout
        while not (cb.all_tasks_running(env, job_id) and cb.checkpoints(env, job_id)["completed"] >= 1):
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} not running with a checkpoint after {args.startup_timeout:.0f} s")
            if cluster.job_state(job_id, env) in {"FAILED", "CANCELED", "FINISHED"}:
                raise RuntimeError(f"job {job_id} ended while starting")
            time.sleep(1)
        for isolation in ("read_uncommitted", "read_committed"):
            counts[isolation] = ctx.Value("i", 0)
            consumers[isolation] = ctx.Process(target=collect_assessments, daemon=True, args=(
                bootstrap, "assessments", out_start, isolation, stop, counts[isolation], str(work / f"{isolation}.json")))
            consumers[isolation].start()
        time.sleep(3)  # consumers assigned and fetching before the first output can exist
        progress.start()
        acks = []

        def on_delivered(msg):
            acks.append((msg.topic(), msg.partition(), msg.offset(), msg.timestamp()[1], time.time()))

        t0 = time.time()
        produce_messages(messages, bootstrap, rate=rate, progress=False, on_delivered=on_delivered)
        t_end = time.time()
        read_at_end = progress.records_at(t_end)
        # Drain: until the job has read all the traffic and the committed assessments have stopped
        # coming for a while (they come at checkpoints), or the time-out.
        quiet_s = max(5.0, 2.5 * checkpoint_ms / 1000)
        last, last_change, drain_deadline = -1, time.time(), time.time() + args.drain_timeout
        while time.time() < drain_deadline:
            n = counts["read_committed"].value
            if n != last:
                last, last_change = n, time.time()
            elif time.time() - last_change > quiet_s and (progress.records_at(time.time()) or 0) >= len(messages):
                break
            time.sleep(0.5)
        read_at_cancel = progress.records_at(time.time())
        cp = cb.checkpoints(env, job_id)
    finally:
        if progress.is_alive():
            progress.stop()
        stop.set()
        for proc in consumers.values():
            proc.join(60)
        cb.cancel_job(env, job_id)
    received = {iso: json.loads((work / f"{iso}.json").read_text()) for iso in consumers}
    shutil.rmtree(work, ignore_errors=True)
    ooo = JobConfig().out_of_orderness_ms
    span_ms = messages[-1][0] - messages[0][0]
    run = {
        "rate": rate, "checkpoint_interval_ms": checkpoint_ms, "parallelism": args.parallelism, "job_id": job_id,
        "events": len(messages), "produce_seconds": round(t_end - t0, 1),
        "achieved_rate": round(len(messages) / (t_end - t0), 1),
        "event_time_per_wall_second_h": round(span_ms / 3.6e6 / (t_end - t0), 2),
        "job_read_at_end_of_traffic": read_at_end, "job_read_at_cancel": read_at_cancel,
        "job_rate_during_traffic": None if read_at_end is None else round(read_at_end / (t_end - t0), 1),
        "checkpoints": cp, "out_of_orderness_ms": ooo,
        **analyse(acks, received, ooo),
    }
    kept_up = read_at_end is not None and len(messages) - read_at_end <= rate  # at most 1 s behind
    run["kept_up"] = kept_up
    u, c = run["read_uncommitted"], run["read_committed"]
    print(f"rate {rate}/s (achieved {run['achieved_rate']}), checkpoints {checkpoint_ms} ms: job read "
          f"{read_at_end}/{len(messages)} by the end of the traffic ({'kept up' if kept_up else 'FELL BEHIND'}); "
          f"assessments received {u['received']} uncommitted / {c['received']} committed", flush=True)
    return run


def _table(runs: list[dict]) -> str:
    head = (f"{'rate':>6}{'ckpt ms':>8}{'kept up':>8}{'job ev/s':>9}  {'consumer':<17}{'n':>7}{'p50 s':>8}{'p95 s':>8}"
            f"{'p99 s':>8}{'max s':>8}{'p50 1st/last third':>20}   ((1st): filing to its pre-loading answer)")
    lines = [head, "-" * len(head)]
    for r in runs:
        for name, s in [(n, r[n]) for n in ("in_job", "read_uncommitted", "read_committed")] + [
                (f"{n} (1st)", r[n]["first_assessment"]) for n in ("in_job", "read_uncommitted", "read_committed")]:
            thirds = f"{s['p50_first_third_s']}/{s['p50_last_third_s']}" if "p50_first_third_s" in s else ""
            fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
            lines.append(f"{r['rate']:>6}{r['checkpoint_interval_ms']:>8}{str(r['kept_up']):>8}"
                         f"{str(r['job_rate_during_traffic']):>9}  {name:<17}{s['n']:>7}{fmt(s['p50_s']):>8}"
                         f"{fmt(s['p95_s']):>8}{fmt(s['p99_s']):>8}{fmt(s['max_s']):>8}{thirds:>20}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", type=int, nargs="+", default=[2000], help="input events/s (default 2000)")
    ap.add_argument("--checkpoint-intervals", type=int, nargs="+", default=[1000, 5000], metavar="MS")
    ap.add_argument("--duration", type=float, default=60, help="seconds of traffic per run (default 60)")
    ap.add_argument("--days", type=int, default=10,
                    help="days of filings in the traffic (default 10)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--parallelism", type=int, default=1)
    ap.add_argument("--drain-timeout", type=float, default=60, help="seconds to wait for assessments after the traffic")
    ap.add_argument("--startup-timeout", type=float, default=300)
    ap.add_argument("--results", default=str(cb.RESULTS))
    cb.add_stack_options(ap)
    args = ap.parse_args(argv)

    traffic = {}
    work = Path(tempfile.mkdtemp(prefix="cluster-latency-traffic-"))
    try:
        for rate in args.rates:
            messages, per_day = cb.generate_messages(work / str(rate), int(rate * args.duration), args.days, args.seed)
            traffic[rate] = (messages, per_day)
            print(f"traffic for {rate}/s: {len(messages)} messages, {args.days} days x {per_day} declarations/day", flush=True)
        with cb.bench_stack(args) as env:
            row = {"benchmark": "cluster_latency", **cb.run_facts(env),
                   "params": {"rates": args.rates, "checkpoint_intervals_ms": args.checkpoint_intervals,
                              "duration_s": args.duration, "days": args.days, "seed": args.seed,
                              "parallelism": args.parallelism,
                              "declarations_per_day": {r: traffic[r][1] for r in args.rates}}}
            run_id = str(time.time_ns())
            runs = [run_once(rate, ci, traffic[rate][0], args, env, run_id)
                    for rate in args.rates for ci in args.checkpoint_intervals]
            row["runs"] = runs
            at_target = [r for r in runs if r["rate"] == TARGET_RATE]
            if at_target:  # not met either when the job falls behind or decides nothing in the run
                # issue 15's target: a filing's arrival in Kafka to its first assessment on the topic
                p99s = [r["read_uncommitted"]["first_assessment"]["p99_s"] for r in at_target]
                row["targets_met"] = {"p99 filing to first assessment < 1 s at 2000 events/s": all(
                    p is not None and p < TARGET_P99_S and r["kept_up"] for p, r in zip(p99s, at_target))}
            print("\n" + _table(runs))
            print("assessments triggered by a record of:", {f"{r['rate']}/{r['checkpoint_interval_ms']}": r["triggering_topic"]
                                                            for r in runs})
            if "targets_met" in row:
                print("targets met:", row["targets_met"])
            cb.append_result(row, args.results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
