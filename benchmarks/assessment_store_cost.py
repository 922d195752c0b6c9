"""Cost of the assessment store (jobs/assessment_store.py) in the live job: the embedded job over one
seeded day of traffic, once with its usual file sink only and once with the Parquet store attached
as well; and what the store holds afterwards.

    python benchmarks/assessment_store_cost.py [--per-day 1000] [--seed 7]

Reports, per run: client-side set-up (building the graph; with the store: the table environment
and the planner), the job's wall time (env.execute) and the machine's load average; for the store:
files, bytes, bytes per assessment, and a check that it holds every assessment of the run once.
Appends one JSON line to benchmarks/results.jsonl. The machine is shared: compare runs made
together, and look at the load average.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


class WithStore:
    """The embedded sink plus the assessment store on the same assessment stream."""

    def __init__(self, inner, env, path):
        self.inner, self.env, self.path = inner, env, path

    def attach(self, outputs):
        from jobs.assessment_store import attach_assessment_store

        self.inner.attach(outputs)
        attach_assessment_store(self.env, outputs["assessments"], self.path)


def run_once(traffic, out: Path, store: Path | None) -> dict:
    from jobs import live_job
    from jobs.config import JobConfig
    from jobs.runtime import make_environment
    from jobs.sinks import LineFileSink
    from jobs.sources import CollectionSource, traffic_messages

    config = JobConfig()
    messages = traffic_messages(traffic)
    sink = LineFileSink(out / "sink")
    t0 = time.perf_counter()
    env = make_environment(config)
    t1 = time.perf_counter()
    live_job.build_job(env, CollectionSource(messages), WithStore(sink, env, store) if store else sink, config)
    t2 = time.perf_counter()
    env.execute("assessment-store-cost")
    t3 = time.perf_counter()
    assessments = list(sink.read_outputs("assessments"))
    return {"events": len(messages), "assessments": len(assessments), "environment_s": round(t1 - t0, 1),
            "build_s": round(t2 - t1, 1), "execute_s": round(t3 - t2, 1), "load_average": os.getloadavg()[0],
            "ids": sorted(a["assessment_id"] for a in assessments)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--which", choices=["both", "baseline", "store"], default="both",
                        help="one PyFlink job per process: this script runs itself once per variant")
    parser.add_argument("--work", help="(internal) working directory shared by the two runs")
    args = parser.parse_args(argv)

    if args.which == "both":
        import subprocess

        from generator.traffic import generate

        work = Path(tempfile.mkdtemp(prefix="store-cost-"))
        generate(work / "traffic", days=1, seed=args.seed, declarations_per_day=args.per_day)
        runs = {}
        for which in ("baseline", "store"):
            subprocess.run([sys.executable, __file__, "--which", which, "--work", str(work)], check=True)
            runs[which] = json.loads((work / f"{which}.json").read_text())
        store = runs["store"].pop("store")
        ids = runs["store"].pop("ids")
        assert ids == runs["baseline"].pop("ids"), "the two runs assessed different declarations"
        result = {"benchmark": "assessment_store_cost", "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  "per_day": args.per_day, "seed": args.seed, "cpus": os.cpu_count(),
                  "python": platform.python_version(), "runs": runs, "store": store}
        print(json.dumps(result, indent=2))
        with open(RESULTS, "a") as f:
            f.write(json.dumps(result) + "\n")
        return 0

    work = Path(args.work)
    store = work / "assessment-store" if args.which == "store" else None
    result = run_once(work / "traffic", work / args.which, store)
    if store:
        from pipelines.assessment_store import read_assessments

        stored = read_assessments(store)
        files = [p for p in store.rglob("part-*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        stored_ids = sorted(a["assessment_id"] for a in stored)
        result["store"] = {"rows": len(stored), "equals_job_output_once": stored_ids == result["ids"],
                           "days": len([d for d in store.iterdir() if d.is_dir()]), "files": len(files),
                           "bytes": size, "bytes_per_assessment": round(size / max(len(stored), 1), 1)}
    (work / f"{args.which}.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
