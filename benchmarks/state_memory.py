"""Keyed state per open consignment: how much memory a million open lifecycles (declarations
filed and not yet arrived, docs/lifecycle.md) take in the job's keyed state.

Runs generated traffic (real transit times: weeks at sea) through the in-memory reference runner
(the same checks the job runs, transforms/runner.py), stops when the most lifecycles are open (the
state is at its peak then: a lifecycle closes after the consignment's arrival, with its voyage's
container events held), and measures the keyed state of
every check as the job stores it: one value per key (ValueState of PICKLED_BYTE_ARRAY holding
the state's marshal bytes, jobs.functions.encode_state), plus the key itself; and, for
comparison, the pickled state the job stored before. Heap backends add object overhead (RocksDB adds its
own per-entry overhead and compression); the figure is the serialized size, the part that grows
with traffic. Prints a table and appends one JSON line to benchmarks/results.jsonl.

    .venv/bin/python benchmarks/state_memory.py [--per-day 3000] [--days 2]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.traffic import generate  # noqa: E402
from jobs.sources import timed_traffic_messages  # noqa: E402
from transforms import intake  # noqa: E402
from transforms.runner import Runner  # noqa: E402
from transforms.state_machine import DECLARATION  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def traffic_inputs(days: int, per_day: int, seed: int, **generate_args) -> list[tuple[str, dict, int]]:
    """Generated traffic (generator.traffic.generate) decoded as the job's intake decodes it:
    (kind, record, event_time_ms) in the order the runner and the job receive them."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, days=days, seed=seed, declarations_per_day=per_day, **generate_args)
        return [intake.decode_input(stream, payload) for _, stream, payload in timed_traffic_messages(tmp)]


def keyed_state_bytes(per_key: dict, encode=None) -> int:
    """One check's keyed state as the job stores it (encode_state, pickled by PyFlink), plus the
    key; `encode`: another encoding of the state, for comparison."""
    from jobs.functions import encode_state

    encode = encode or encode_state
    return sum(len(pickle.dumps(encode(v), protocol=pickle.HIGHEST_PROTOCOL)) + len(k.encode())
               for k, v in per_key.items())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-day", type=int, default=3000)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args(argv)

    inputs = traffic_inputs(args.days, args.per_day, args.seed)

    # Two passes: the states are mutated in place, so find the peak first, then run up to it again.
    runner = Runner()
    assessor = len(runner.stages) - 1
    peak = (0, -1)
    for i, (kind, record, t) in enumerate(inputs):
        runner.feed(kind, record, t)
        if kind == DECLARATION:
            open_decisions = sum(1 for s in runner.states[assessor].values() if s.get("status") == "open")
            if open_decisions > peak[0]:
                peak = (open_decisions, i)
    open_decisions, at = peak
    runner = Runner()
    for kind, record, t in inputs[:at + 1]:
        runner.feed(kind, record, t)

    rows, total, total_pickled = [], 0, 0
    for stage, per_key in zip(runner.stages, runner.states):
        size, pickled = keyed_state_bytes(per_key), keyed_state_bytes(per_key, encode=lambda v: v)
        total, total_pickled = total + size, total_pickled + pickled
        rows.append({"check": stage.name, "keys": len(per_key), "bytes": size, "pickled_bytes": pickled})
    per_open = total / open_decisions
    print(f"peak: {open_decisions} open lifecycles (declarations filed, not yet arrived)")
    print(f"{'check':<24}{'keys':>10}{'bytes':>14}{'pickled bytes':>15}")
    for r in rows:
        print(f"{r['check']:<24}{r['keys']:>10}{r['bytes']:>14}{r['pickled_bytes']:>15}")
    print(f"serialized keyed state per open consignment: {per_open:,.0f} bytes; "
          f"per million open consignments: {per_open * 1e6 / 2**30:.2f} GiB "
          f"(pickled, as before 2026-11-30: {total_pickled / open_decisions:,.0f} bytes, "
          f"{total_pickled / open_decisions * 1e6 / 2**30:.2f} GiB)")

    with open(args.results, "a") as f:
        f.write(json.dumps({"benchmark": "state_memory", "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                            "per_day": args.per_day, "days": args.days, "seed": args.seed, "cpus": os.cpu_count(),
                            "python": platform.python_version(), "open_declarations": open_decisions,
                            "checks": rows, "bytes_per_open_declaration": round(per_open),
                            "pickled_bytes_per_open_declaration": round(total_pickled / open_decisions),
                            "gib_per_million_open": round(per_open * 1e6 / 2**30, 3)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
