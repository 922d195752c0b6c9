"""Per-declaration cost of scoring with the trained model, as the assessor pays it.

    python benchmarks/model_scoring.py                      # 1 week x 500 declarations/day, 100 trees
    python benchmarks/model_scoring.py --per-day 300 --trees 50

Generates seeded traffic, runs the topology in memory with a recording model to capture the
exact (declaration, evidence) pairs the assessor hands the model, trains and publishes a model
(pipelines/training.py, into a temporary registry), loads it (transforms.model.load_model) and
times, per declaration:

- features:        transforms.features.features(decl, evidence, ruleset, reference)
- score:           TrainedModel.score (features + compiled trees + calibration)
- score_explained: what DeclarationAssessor calls: score + top-3 contributing features
- sklearn:         GradientBoostingClassifier.predict_proba on one row (features excluded), for scale
- batch:           TrainedModel.score_many over all rows at once, per row (features excluded)

Each figure is the best of --repeats passes over every captured pair, in CPU time of this
process (time.process_time: the machine is shared, wall time swings with the neighbours' load);
the wall-clock figure of the same best pass is printed beside it. Appends one JSON line to
benchmarks/results.jsonl.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


class _Capture:
    """A ModelScorer that keeps what the assessor passes it."""

    version = "capture"

    def __init__(self):
        self.calls = []

    def score(self, decl, evidence):
        self.calls.append((decl, list(evidence)))
        return 0.0


def _best(fn, items, repeats: int) -> tuple[float, float]:
    """(CPU microseconds per item, wall microseconds per item) of the best pass."""
    best = None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        for it in items:
            fn(it)
        c, w = time.process_time() - c0, time.perf_counter() - w0
        if best is None or c < best[0]:
            best = (c, w)
    n = len(items)
    return best[0] / n * 1e6, best[1] / n * 1e6


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--per-day", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args(argv)

    import numpy as np

    from generator.traffic import generate
    from pipelines import training
    from transforms import model as registry
    from transforms.assessment import DeclarationAssessor
    from transforms.features import features
    from transforms.reference import load_reference
    from transforms.rules import load_ruleset
    from transforms.runner import Runner

    base = Path(tempfile.mkdtemp(prefix="model-bench-"))
    try:
        generate(base / "traffic", days=args.days, seed=args.seed, declarations_per_day=args.per_day)
        rs, ref = load_ruleset(), load_reference()
        inputs = training.traffic_inputs(base / "traffic")
        cap = _Capture()
        runner = Runner(rs, ref, assessor=DeclarationAssessor(model=cap), now_ms=lambda: 0)
        for k, r, t in inputs:
            runner.feed(k, r, t)
        runner.finish()
        assessed = training.assess(inputs, rs, ref)
        ts = training.training_set([assessed])
        params = {"n_estimators": args.trees, "max_depth": args.depth}
        uri = training.fit_and_publish(ts, base / "registry", params=params, ruleset_version=rs.version)
        model = registry.load_model(uri, ruleset=rs, reference=ref)
        gbc, _, _ = training.fit(ts.X, ts.y, ts.w, params)

        calls = cap.calls
        X = np.array([features(d, e, rs, ref) for d, e in calls])
        rows = [X[i:i + 1] for i in range(min(len(X), 500))]
        figures = {
            "features": _best(lambda c: features(c[0], c[1], rs, ref), calls, args.repeats),
            "score": _best(lambda c: model.score(c[0], c[1]), calls, args.repeats),
            "score_explained": _best(lambda c: model.score_explained(c[0], c[1]), calls, args.repeats),
            "sklearn_predict_proba_row": _best(gbc.predict_proba, rows, max(1, args.repeats // 2)),
        }
        c0, w0 = time.process_time(), time.perf_counter()
        model.score_many(X)
        figures["batch_score_many_per_row"] = ((time.process_time() - c0) / len(X) * 1e6,
                                               (time.perf_counter() - w0) / len(X) * 1e6)
        print(f"{len(calls)} declarations scored; model {model.version}: {model.metadata['compiled']['trees']} trees, "
              f"depth {model.depth}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'what':<28} {'CPU us/decl':>12} {'wall us/decl':>13}")
        for name, (cpu, wall) in figures.items():
            print(f"{name:<28} {cpu:>12.1f} {wall:>13.1f}")
        row = {"benchmark": "model_scoring", "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "declarations": len(calls), "trees": model.metadata["compiled"]["trees"], "depth": model.depth,
               "features": len(model.feature_names), "cpus": os.cpu_count(), "python": platform.python_version(),
               "load_average": round(os.getloadavg()[0], 2),
               "us_per_declaration": {k: {"cpu": round(v[0], 2), "wall": round(v[1], 2)} for k, v in figures.items()}}
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(f"appended to {args.results}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
