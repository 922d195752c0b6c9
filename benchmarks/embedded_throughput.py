"""The embedded job against an embedded pass-through job over the same messages, and where the
time goes, per operator.

Both run on the embedded mini-cluster (`borderflow run`'s engine, thread mode, parallelism 1),
from the same in-memory source (jobs.sources.CollectionSource: event time and watermarks set on
the client) to line files (jobs.sinks.LineFileSink's FileSink):

- pass-through: the source, one Python map (the payload as a base64 line), the file sink;
- full: the live job (jobs.live_job.build_job) with its three outputs.

Each is timed over env.execute (start-up of the mini-cluster included) and an empty pass-through
job (after a first one that starts the JVM) gives the start-up alone, so the figures are printed raw and net of start-up. With
`--profile`, the full job runs once more with BF_PROFILE_DIR set (jobs/profiling.py): each Python
operator's CPU time (per-thread CPU clock) and its most expensive functions are printed; the
profiler's own cost inflates these (call-heavy code more), so read them as shares, not as rates.

    .venv/bin/python benchmarks/embedded_throughput.py [--events 20000] [--days 7] [--profile]
"""
from __future__ import annotations

import argparse
import base64
import glob
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.clusterbench import RESULTS, append_result, generate_messages, run_facts  # noqa: E402
from jobs import profiling  # noqa: E402
from jobs.config import JobConfig  # noqa: E402


def _line(value) -> str:
    return base64.b64encode(bytes(value[2])).decode("ascii")


def run_pass_through(timed: list, out: Path, config: JobConfig) -> float:
    """Wall seconds of env.execute for source -> one Python map -> file sink."""
    from pyflink.common import Encoder, Types
    from pyflink.datastream.connectors.file_system import FileSink

    from jobs.runtime import make_environment
    from jobs.sources import CollectionSource

    env = make_environment(config)
    source = CollectionSource([(s, p) for _, s, p in timed], times=[t for t, _, _ in timed])
    (_, stream), = source.build_inputs(env, config.out_of_orderness_ms)
    sink = FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build()
    stream.map(_line, output_type=Types.STRING()).name("PassThrough").sink_to(sink).name("WriteLines")
    started = time.perf_counter()
    env.execute("pass-through")
    return time.perf_counter() - started


def run_full(timed: list, out: Path, config: JobConfig) -> float:
    from jobs import live_job
    from jobs.sinks import LineFileSink
    from jobs.sources import CollectionSource

    source = CollectionSource([(s, p) for _, s, p in timed], times=[t for t, _, _ in timed])
    return live_job.run(source, LineFileSink(out), config, events_in=len(timed)).wall_seconds


def print_profiles(folder: str, top: int) -> dict:
    """Each operator's CPU seconds and top functions by own time; returns {operator: seconds}."""
    totals = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.prof"))):
        name = Path(path).name.split("-")[0]
        stats = pstats.Stats(path, stream=io.StringIO())
        totals[name] = totals.get(name, 0.0) + stats.total_tt
    grand = sum(totals.values()) or 1.0
    print(f"\n{'operator (Python CPU, profiled)':34s} {'s':>8s} {'share':>6s}")
    for name, s in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"{name:34s} {s:8.2f} {s / grand:6.1%}")
    for path in sorted(glob.glob(os.path.join(folder, "*.prof"))):
        out = io.StringIO()
        stats = pstats.Stats(path, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        body = out.getvalue()
        print(f"\n--- {Path(path).name}: top {top} by own time\n" + body[body.find("   ncalls"):].rstrip())
    return {k: round(v, 2) for k, v in totals.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20_000, help="about this many input messages")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="also profile the full job's Python operators")
    ap.add_argument("--top", type=int, default=12, help="functions shown per operator with --profile")
    ap.add_argument("--results", default=str(RESULTS))
    ap.add_argument("--full-only", action="store_true", help=argparse.SUPPRESS)  # the profiled run
    args = ap.parse_args(argv)
    config = JobConfig()
    if args.full_only:
        with tempfile.TemporaryDirectory() as tmp:
            timed, _ = generate_messages(Path(tmp) / "traffic", args.events, args.days, args.seed)
            run_full(timed, Path(tmp) / "full", config)
        return 0
    facts = run_facts({})

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        timed, per_day = generate_messages(tmp / "traffic", args.events, args.days, args.seed)
        n = len(timed)
        run_pass_through(timed[:0], tmp / "warm-up", config)  # the process's first job also starts the JVM
        startup = run_pass_through(timed[:0], tmp / "empty", config)
        pass_s = run_pass_through(timed, tmp / "pass", config)
        full_s = run_full(timed, tmp / "full", config)
        profiles = None
        if args.profile:
            # In a process of its own: the operators read BF_PROFILE_DIR from the environment of the
            # JVM, which this process started with its first job.
            env = {**os.environ, profiling.ENV: str(tmp / "profiles")}
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--events", str(args.events), "--days", str(args.days),
                            "--seed", str(args.seed), "--full-only"], env=env, check=True)
            print(f"profiled full run (a process of its own, JVM start included): {time.perf_counter() - started:.1f} s")
            profiles = print_profiles(str(tmp / "profiles"), args.top)

    def rates(s):
        net = max(s - startup, 1e-9)
        return round(n / s, 1), round(n / net, 1)

    pass_rate, pass_net = rates(pass_s)
    full_rate, full_net = rates(full_s)
    print(f"\n{n} messages, {args.days} days x {per_day} declarations/day; start-up (empty job) {startup:.1f} s")
    print(f"{'job':14s} {'wall s':>8s} {'events/s':>10s} {'net of start-up':>16s}")
    print(f"{'pass-through':14s} {pass_s:8.1f} {pass_rate:10,.0f} {pass_net:16,.0f}")
    print(f"{'full':14s} {full_s:8.1f} {full_rate:10,.0f} {full_net:16,.0f}")
    print(f"full / pass-through: {full_rate / pass_rate:.2f} (net of start-up {full_net / pass_net:.2f}; target >= 0.3)")
    append_result({"benchmark": "embedded_throughput", **facts,
                   "params": {"events": args.events, "days": args.days, "seed": args.seed},
                   "messages": n, "startup_s": round(startup, 2),
                   "pass_through": {"wall_s": round(pass_s, 2), "events_per_second": pass_rate, "net": pass_net},
                   "full": {"wall_s": round(full_s, 2), "events_per_second": full_rate, "net": full_net},
                   "full_over_pass_through": round(full_rate / pass_rate, 3),
                   "full_over_pass_through_net": round(full_net / pass_net, 3),
                   "profile_cpu_s": profiles}, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
