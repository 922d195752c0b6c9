"""Fuzz the decoders: N inputs per target, then the number tried and the failures found.

    .venv/bin/python tests/fuzz/run_fuzz.py --runs 20000                    # atheris, every target
    .venv/bin/python tests/fuzz/run_fuzz.py --engine hypothesis --runs 2000 --target dcsa

Targets (tests/fuzz/targets.py): codec (schemas.codec.decode), intake
(transforms.intake.decode_input), dcsa (transforms.dcsa.from_dcsa). A failure is any exception
other than the decoder's declared one (or a broken promise the target asserts); distinct failures
are reported by exception type and place, with a reproducing input (hex). Exit status 1 when any
failure was found.

Engines: atheris (coverage-guided libFuzzer, pinned in requirements.lock; each target runs in its
own process, since libFuzzer ends the process when done) or hypothesis (st.binary() through the
same targets; what the test suite runs, tests/fuzz/test_fuzz.py).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_NAMES = ("codec", "intake", "dcsa")


class FailureLog:
    """Distinct unexpected exceptions: signature -> (count, repr, input hex)."""

    def __init__(self):
        self.failures: dict[str, dict] = {}
        self.tried = 0

    def run(self, target, data: bytes) -> None:
        self.tried += 1
        try:
            target(data)
        except Exception as exc:  # anything the target did not declare is a finding
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
            sig = f"{type(exc).__name__} at {where}"
            entry = self.failures.setdefault(sig, {"count": 0, "error": f"{type(exc).__name__}: {exc}"[:300],
                                                   "input_hex": data[:512].hex()})
            entry["count"] += 1


def run_hypothesis(name: str, runs: int, seed: int | None = None) -> dict:
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    from tests.fuzz.targets import TARGETS

    log = FailureLog()
    target = TARGETS[name]

    @settings(max_examples=runs, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=seed is not None)
    @given(st.binary(max_size=2048))
    def fuzz(data):
        log.run(target, data)

    started = time.perf_counter()
    fuzz()
    return {"target": name, "engine": "hypothesis", "tried": log.tried, "seconds": round(time.perf_counter() - started, 1),
            "failures": log.failures}


def _atheris_child(name: str, runs: int, failures_file: str, seed: int) -> None:
    import atheris

    with atheris.instrument_imports(include=["schemas", "transforms", "tests.fuzz"]):
        from tests.fuzz.targets import TARGETS
    log = FailureLog()
    target = TARGETS[name]
    known: set[str] = set()

    def one_input(data: bytes) -> None:
        log.run(target, data)
        new = set(log.failures) - known
        if new:  # libFuzzer ends the process with exit(): write findings as they come
            known.update(new)
            with open(failures_file, "w") as f:
                json.dump(log.failures, f)

    atheris.Setup([sys.argv[0], f"-runs={runs}", f"-seed={seed}", "-max_len=4096", "-timeout=20",
                   "-rss_limit_mb=4096", "-print_final_stats=1"], one_input)
    atheris.Fuzz()


def run_atheris(name: str, runs: int, seed: int = 1) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        failures_file = os.path.join(tmp, "failures.json")
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--atheris-child", name, "--runs", str(runs),
                               "--failures-file", failures_file, "--seed", str(seed)],
                              capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        done = re.findall(r"Done (\d+) runs", proc.stderr)
        failures = json.loads(Path(failures_file).read_text()) if os.path.exists(failures_file) else {}
    if not done:
        failures["fuzzer did not finish"] = {"count": 1, "error": proc.stderr[-2000:], "input_hex": ""}
    return {"target": name, "engine": "atheris", "tried": int(done[-1]) if done else 0,
            "seconds": round(seconds, 1), "failures": failures}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["atheris", "hypothesis"], default="atheris")
    parser.add_argument("--runs", type=int, default=10_000, help="inputs per target")
    parser.add_argument("--target", choices=TARGET_NAMES, action="append", help="default: every target")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--atheris-child", help=argparse.SUPPRESS)
    parser.add_argument("--failures-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.atheris_child:
        _atheris_child(args.atheris_child, args.runs, args.failures_file, args.seed)
        return 0
    results = []
    for name in args.target or TARGET_NAMES:
        res = (run_atheris if args.engine == "atheris" else run_hypothesis)(name, args.runs, args.seed)
        results.append(res)
        n_fail = sum(f["count"] for f in res["failures"].values())
        print(f"{res['engine']:<10} {name:<7} tried {res['tried']:>8}  failures {n_fail:>5} "
              f"({len(res['failures'])} distinct)  {res['seconds']} s", flush=True)
        for sig, f in res["failures"].items():
            print(f"    {sig} x{f['count']}: {f['error'][:200]}\n      input: {f['input_hex'][:120]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
