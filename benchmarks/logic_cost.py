"""The risk logic's own CPU cost per input message, with no engine: the floor under any job.

Runs the same messages through the steps the live job's Python operators perform, each step
timed on its own, in one process, in CPU time (time.process_time: the machine's other load
does not count):

- decode: wire bytes -> validated record (transforms.intake.decode_input; DCSA JSON for
  container events, Avro single-object encoding for the rest);
- contract: the stream's data-contract suite on the record (transforms.expectations), as the
  job's decoder runs it, one record at a time;
- hand-off: pickling and unpickling each (key, kind, record) the decoder routes to a keyed
  stage, as PyFlink does between Python operators (PICKLED_BYTE_ARRAY), plus the checks'
  evidence routed to the assessor. Only the Python side of a hop; the JVM's is not here;
- checks + assessor: the keyed checks and the assessor, state and timers included, through the
  in-memory reference runner (transforms.runner), which the job's operators run step by step.

Prints microseconds per message for each and the message rate one core could reach on the
logic alone, against the CPU budget a target rate leaves per message on this machine (all its
cores, broker and Flink included). Appends one JSON line to benchmarks/results.jsonl.

    .venv/bin/python benchmarks/logic_cost.py [--events 40000] [--days 7] [--target-rate 10000]
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.clusterbench import RESULTS, append_result, generate_messages, run_facts  # noqa: E402
from transforms import expectations, intake, topology  # noqa: E402
from transforms.runner import Runner  # noqa: E402
from transforms.state_machine import EVIDENCE, MANIFEST_LINE  # noqa: E402


def _cpu(fn):
    """(result, CPU seconds) of fn()."""
    started = time.process_time()
    result = fn()
    return result, time.process_time() - started


def decode_all(messages):
    return [(stream, *intake.decode_input(stream, payload)[:2], t) for t, stream, payload in messages]


def check_contracts(decoded):
    failed = 0
    for stream, _, record, _ in decoded:
        failed += bool(expectations.expectation_failures(stream, [record]))
    return failed


def routed_items(decoded):
    """What the decoder routes, as the job's DecodeAndRoute does: (key, kind, record) per stage key."""
    stages = [*topology.CHECKS, topology.ASSESSOR]
    out = []
    for _, kind, record, _ in decoded:
        records = ([(MANIFEST_LINE, line) for line in topology.flatten_manifest(record)]
                   if kind == intake.MANIFEST else [(kind, record)])
        for k, r in records:
            out.extend((key, k, r) for stage in stages for key in stage.key_of(k, r))
    return out


def hand_off(items):
    for item in items:
        pickle.loads(pickle.dumps(item))
    return len(items)


def run_checks(decoded, evidence: list):
    runner = Runner(now_ms=lambda: 0, evidence_sink=evidence)
    for _, kind, record, t in decoded:
        runner.feed(kind, record, t)
    return runner.finish()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=40_000, help="about this many input messages")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--target-rate", type=float, default=10_000, help="events/s the CPU budget is computed for")
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        messages, per_day = generate_messages(Path(tmp), args.events, args.days, args.seed)
    n = len(messages)
    mix = Counter(stream for _, stream, _ in messages)
    decoded, decode_s = _cpu(lambda: decode_all(messages))
    failed, contract_s = _cpu(lambda: check_contracts(decoded))
    evidence: list = []
    assessments, checks_s = _cpu(lambda: run_checks(decoded, evidence))
    items = routed_items(decoded) + [(None, EVIDENCE, e) for e in evidence]
    hops, hand_off_s = _cpu(lambda: hand_off(items))

    steps = {"decode": decode_s, "contract": contract_s, "hand_off": hand_off_s, "checks_and_assessor": checks_s}
    per_message_us = {name: s / n * 1e6 for name, s in steps.items()}
    total_us = sum(per_message_us.values())
    cores = os.cpu_count() or 1
    budget_us = cores / args.target_rate * 1e6
    print(f"{n} messages ({', '.join(f'{k} {v}' for k, v in mix.most_common())}), {args.days} days x {per_day} "
          f"declarations/day; {len(assessments)} assessments, {failed} contract failures, "
          f"{hops / n:.2f} pickled hand-offs per message\n")
    print(f"{'step':22s} {'CPU us/message':>15s}")
    for name, us in per_message_us.items():
        print(f"{name:22s} {us:15.1f}")
    print(f"{'total':22s} {total_us:15.1f}\n")
    print(f"logic alone, one core: {1e6 / total_us:,.0f} messages/s; all {cores} cores with nothing else "
          f"running: {cores * 1e6 / total_us:,.0f} messages/s")
    print(f"CPU budget at {args.target_rate:,.0f} events/s on {cores} cores, broker and Flink included: "
          f"{budget_us:.0f} us/message; the logic alone takes {total_us / budget_us:.2f}x that")
    append_result({"benchmark": "logic_cost", **run_facts({}),
                   "params": {"events": args.events, "days": args.days, "seed": args.seed,
                              "target_rate": args.target_rate},
                   "messages": n, "mix": dict(mix), "assessments": len(assessments),
                   "hand_offs_per_message": hops / n,
                   "cpu_us_per_message": {**{k: round(v, 1) for k, v in per_message_us.items()},
                                          "total": round(total_us, 1)},
                   "one_core_messages_per_s": round(1e6 / total_us),
                   "budget_us_per_message_at_target": round(budget_us, 1),
                   "logic_over_budget": round(total_us / budget_us, 2)}, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
