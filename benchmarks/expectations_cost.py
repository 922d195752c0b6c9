"""Cost of checking input records against the data contracts (schemas/expectations), per record:
the batch evaluator the live job calls (transforms.expectations.expectation_failures) and, with
--ge, Great Expectations on the same batches (pipelines.quality.QualityContext).

    python benchmarks/expectations_cost.py [--per-day 2000] [--batch 300] [--ge]

Generates one seeded day of traffic, cuts each stream into batches of --batch records, and times
every batch (CPU time of this process and wall time; the machine is shared, CPU time is the
steadier figure). Prints µs per record per stream and appends one JSON line to
benchmarks/results.jsonl.
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
FILES = {"declarations": "declarations.avro", "manifests": "manifests.avro",
         "container_events": "container_events.avro", "control_results": "control_results.avro"}


def _time(fn, batches):
    cpu0, wall0 = time.process_time(), time.perf_counter()
    failures = sum(len(fn(b)) for b in batches)
    return time.process_time() - cpu0, time.perf_counter() - wall0, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ge", action="store_true", help="also time Great Expectations on the same batches")
    parser.add_argument("--ge-batches", type=int, default=2, help="batches per stream for GE (it is slow)")
    args = parser.parse_args(argv)

    from generator.traffic import generate
    from schemas import codec
    from transforms.expectations import compiled_suite, expectation_failures

    result = {"benchmark": "expectations_cost", "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "per_day": args.per_day, "batch": args.batch, "seed": args.seed, "cpus": os.cpu_count(),
              "python": platform.python_version(), "load_average": round(os.getloadavg()[0], 2), "streams": {}}
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, days=1, seed=args.seed, declarations_per_day=args.per_day)
        data = {s: list(codec.read_avro_file(Path(tmp) / f)) for s, f in FILES.items()}
    ge = None
    if args.ge:
        from pipelines.quality import QualityContext

        started = time.perf_counter()
        ge = QualityContext()
        result["ge_context_seconds"] = round(time.perf_counter() - started, 1)
    print(f"{'stream':<17} {'records':>8} {'expectations':>12} {'cpu us/rec':>10} {'wall us/rec':>11}"
          + ("   GE s/batch  GE ms/rec" if ge else ""))
    for stream, records in data.items():
        compiled_suite(stream)  # compiled once per process, outside the timing
        batches = [records[i:i + args.batch] for i in range(0, len(records), args.batch)]
        cpu, wall, failures = _time(lambda b: expectation_failures(stream, b), batches)
        row = {"records": len(records), "batches": len(batches), "failures": failures,
               "expectations": len(compiled_suite(stream)),
               "cpu_us_per_record": round(1e6 * cpu / len(records), 1),
               "wall_us_per_record": round(1e6 * wall / len(records), 1)}
        line = (f"{stream:<17} {len(records):>8} {row['expectations']:>12} {row['cpu_us_per_record']:>10} "
                f"{row['wall_us_per_record']:>11}")
        if ge is not None:
            ge_batches = batches[: args.ge_batches]
            n = sum(len(b) for b in ge_batches)
            cpu, wall, _ = _time(lambda b: ge.validate(stream, b)[0], ge_batches)
            row["ge_wall_seconds_per_batch"] = round(wall / len(ge_batches), 2)
            row["ge_wall_ms_per_record"] = round(1e3 * wall / n, 2)
            line += f"   {row['ge_wall_seconds_per_batch']:>10}  {row['ge_wall_ms_per_record']:>9}"
        result["streams"][stream] = row
        print(line, flush=True)
    with open(RESULTS, "a") as f:
        f.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
