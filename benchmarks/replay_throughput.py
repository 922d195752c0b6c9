"""Throughput of the Beam replay against the live PyFlink job, on the same traffic.

    python benchmarks/replay_throughput.py --days 1 --per-day 2000
    python benchmarks/replay_throughput.py --days 1 --per-day 2000 --workers 2 --mode multi_processing

Generates seeded traffic, archives it (pipelines.archive.write_archive), runs the live job on its
embedded mini-cluster (jobs.embedded.run_embedded) and the replay (pipelines.replay.run_replay,
DirectRunner) over every archived day, prints the events/s of each and the ratio, and appends the
figures as one JSON line to benchmarks/results.jsonl. events/s = input events / wall seconds of
the run (the live figure includes starting the mini-cluster, the replay's includes building and
running the Beam pipeline; neither includes generating or archiving).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--per-day", type=int, default=2000, help="declarations per day")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=None, help="direct_num_workers (default: the replay's default)")
    ap.add_argument("--mode", choices=["in_memory", "multi_threading", "multi_processing"], default=None,
                    help="direct_running_mode (default: the replay's default)")
    ap.add_argument("--skip-live", action="store_true", help="replay only")
    ap.add_argument("--keep", help="keep traffic, archive and outputs in this directory")
    ap.add_argument("--results", default=str(RESULTS), help="JSON lines file to append to")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from generator.traffic import generate
    from pipelines import archive as arc
    from pipelines import replay
    from schemas import codec

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="replay-bench-"))
    try:
        traffic, archive_dir = base / "traffic", base / "archive"
        t = time.perf_counter()
        truth = generate(traffic, days=args.days, seed=args.seed, declarations_per_day=args.per_day)
        gen_s = time.perf_counter() - t
        t = time.perf_counter()
        written = arc.write_archive(traffic, archive_dir)
        archive_s = time.perf_counter() - t
        days = arc.archive_days(archive_dir)
        print(f"traffic: {truth['counts']} (generated in {gen_s:.1f} s); archive: {written['records']} records, "
              f"days {days[0]}..{days[-1]} ({archive_s:.1f} s)")

        row = {
            "benchmark": "replay_throughput", "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "days": args.days, "per_day": args.per_day, "seed": args.seed, "events": written["records"],
            "cpus": __import__("os").cpu_count(), "python": platform.python_version(),
        }
        if not args.skip_live:
            from jobs.config import JobConfig
            from jobs.embedded import run_embedded

            live = run_embedded(traffic, base / "live", JobConfig())
            row["live"] = {"events": live["events_in_total"], "wall_seconds": live["wall_seconds"],
                           "events_per_second": live["events_per_second"], "assessments": live["assessments"]}
            print(f"live job (PyFlink embedded): {live['events_in_total']} events in {live['wall_seconds']} s "
                  f"= {live['events_per_second']} events/s")

        kw = {}
        if args.workers is not None:
            kw["direct_num_workers"] = args.workers
        if args.mode is not None:
            kw["direct_running_mode"] = args.mode
        rep = replay.run_replay(archive_dir, days[0], days[-1], base / "replay", **kw)
        row["replay"] = {"events": rep["events_in_total"], "wall_seconds": rep["wall_seconds"],
                         "events_per_second": rep["events_per_second"], "assessments": rep["assessments"],
                         "runner": rep["replay"]["runner"], "direct_num_workers": rep["replay"]["direct_num_workers"],
                         "direct_running_mode": rep["replay"]["direct_running_mode"]}
        print(f"replay (Beam {rep['replay']['runner']}, {rep['replay']['direct_num_workers']} worker(s), "
              f"{rep['replay']['direct_running_mode']}): {rep['events_in_total']} events in {rep['wall_seconds']} s "
              f"= {rep['events_per_second']} events/s")
        if "live" in row:
            ratio = rep["events_per_second"] / row["live"]["events_per_second"]
            live_ids = {a["assessment_id"] for a in codec.read_avro_file(base / "live" / "assessments.avro")}
            rep_ids = {a["assessment_id"] for a in codec.read_avro_file(base / "replay" / "assessments.avro")}
            row["replay_over_live"] = round(ratio, 2)
            row["same_assessment_ids"] = live_ids == rep_ids
            print(f"replay / live: {ratio:.2f}x; same assessment ids: {live_ids == rep_ids}")
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(f"appended to {args.results}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
