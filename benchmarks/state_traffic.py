"""Keyed-state traffic per check: how many state writes each keyed operator makes per input, and
how many bytes and microseconds each write costs.

In the PyFlink job every changed step of a keyed check writes the key's whole state into its
ValueState (jobs/functions.py: RunKeyedCheck), so the cost of a write is a large part of the
job's cost per event. Runs generated traffic through the in-memory reference runner (the checks
the job runs) and encodes each step's resulting state as the job does (split_encode: marshal; a step that
only held an input writes the inbox with the rest as last written),
and with pickle, as the job did before, for comparison. Steps marked `unchanged` are not written
by the job and are not counted. Prints a table and appends one JSON line to benchmarks/results.jsonl.

    .venv/bin/python benchmarks/state_traffic.py [--days 3] [--per-day 3000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import pickle
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.state_memory import RESULTS, traffic_inputs  # noqa: E402
from jobs.functions import split_encode  # noqa: E402
from transforms.runner import Runner  # noqa: E402


def measure(inputs) -> dict:
    runner = Runner(now_ms=lambda: 0)
    stats = defaultdict(lambda: {"steps": 0, "writes": 0, "bytes": 0, "pickle_bytes": 0, "pickle_s": 0.0,
                                 "encode_s": 0.0})
    apply = runner._apply
    rests: dict = {}  # (stage, key) -> the state's part without its inbox as last written

    def counting_apply(stage, key, step, t):
        s = stats[runner.stages[stage].name]
        s["steps"] += 1
        if step.state is not None and not step.unchanged:
            # as RunKeyedCheck does: a step that only held an input in the state it was given
            # writes the inbox with the rest as last written
            rest = rests.get((stage, key)) if step.held and runner.states[stage].get(key) is step.state else None
            started = time.perf_counter()
            s["pickle_bytes"] += len(pickle.dumps(step.state))
            pickled = time.perf_counter()
            value, rests[(stage, key)] = split_encode(step.state, rest)
            s["bytes"] += len(value)
            s["pickle_s"] += pickled - started
            s["encode_s"] += time.perf_counter() - pickled
            s["writes"] += 1
        return apply(stage, key, step, t)

    runner._apply = counting_apply
    for kind, record, t in inputs:
        runner.feed(kind, record, t)
    runner.finish()
    return dict(stats)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--per-day", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    inputs = traffic_inputs(args.days, args.per_day, args.seed)
    stats = measure(inputs)
    total_bytes = sum(s["bytes"] for s in stats.values())
    print(f"{len(inputs)} inputs ({args.days} days x {args.per_day} declarations)\n")
    print(f"{'check':24s} {'steps/input':>11s} {'writes/input':>12s} {'bytes/write':>11s} {'share of bytes':>14s} "
          f"{'us/write':>8s} {'pickle: bytes':>13s} {'us/write':>8s}")
    rows = {}
    for name, s in stats.items():
        rows[name] = {
            "steps_per_input": s["steps"] / len(inputs),
            "writes_per_input": s["writes"] / len(inputs),
            "bytes_per_write": s["bytes"] / max(s["writes"], 1),
            "share_of_bytes": s["bytes"] / max(total_bytes, 1),
            "encode_us_per_write": s["encode_s"] / max(s["writes"], 1) * 1e6,
            "pickle_bytes_per_write": s["pickle_bytes"] / max(s["writes"], 1),
            "pickle_us_per_write": s["pickle_s"] / max(s["writes"], 1) * 1e6,
        }
        r = rows[name]
        print(f"{name:24s} {r['steps_per_input']:11.2f} {r['writes_per_input']:12.2f} {r['bytes_per_write']:11.0f} "
              f"{r['share_of_bytes']:14.0%} {r['encode_us_per_write']:8.1f} {r['pickle_bytes_per_write']:13.0f} "
              f"{r['pickle_us_per_write']:8.1f}")
    per_input = {k: sum(s[k] for s in stats.values()) / len(inputs) for k in ("bytes", "encode_s", "pickle_s")}
    print(f"\nstate written per input: {per_input['bytes']:.0f} bytes in {per_input['encode_s'] * 1e6:.1f} us "
          f"(pickle: {per_input['pickle_s'] * 1e6:.1f} us)")
    with RESULTS.open("a") as f:
        f.write(json.dumps({"benchmark": "state_traffic", "at": dt.datetime.now(dt.timezone.utc).isoformat(),
                            "machine": platform.node(), "days": args.days, "per_day": args.per_day,
                            "inputs": len(inputs), "bytes_per_input": total_bytes / len(inputs),
                            "encode_us_per_input": per_input["encode_s"] * 1e6,
                            "pickle_us_per_input": per_input["pickle_s"] * 1e6,
                            "checks": rows}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
