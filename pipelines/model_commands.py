"""The model subcommands of the borderflow CLI: train, evaluate, simulate (docs/model.md).

borderflow/cli.py registers them in build_parser():

    from pipelines.model_commands import add_model_commands
    add_model_commands(sub)

    borderflow train --input traffic/ [--input more/] [--registry .cache/registry] [--name risk]
                     [--weighting propensity|none] [--trees 100] [--depth 3]
    borderflow evaluate --out out/evaluate [--train-weeks 3] [--test-weeks 2] [--per-day 500]
                        [--sim-weeks 6] [--model-weight 0.5] [--rate SCENARIO=SHARE]
    borderflow simulate --weeks 8 --out out/simulate [--per-day 500] [--top-share 0.05]
                        [--random-share 0.02] [--new-pattern SEAL_TAMPERING] [--new-pattern-week 4]
"""
from __future__ import annotations

import json
import logging
import sys

from borderflow.arguments import non_negative_float, non_negative_int, positive_int, rates, scenario_rate, share


def _logging() -> None:
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("borderflow").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")


def _params(args) -> dict:
    return {"n_estimators": args.trees, "max_depth": args.depth}


def cmd_train(args) -> int:
    from pipelines.training import run_training

    _logging()
    try:
        result = run_training(args.input, args.registry, args.name, args.weighting, _params(args), args.seed,
                              args.ruleset)
    except (ValueError, FileNotFoundError) as exc:
        print(f"borderflow train: {exc}", file=sys.stderr)
        return 2
    meta = result["metadata"]
    print(json.dumps({k: meta[k] for k in ("version", "training_window", "data_hash", "metrics", "sklearn_version",
                                          "weighting")}, indent=2))
    print(f"published {result['uri']}")
    return 0


def cmd_evaluate(args) -> int:
    from pipelines.evaluate import run_evaluation

    _logging()
    report = run_evaluation(args.out, args.train_weeks, args.test_weeks, args.per_day, args.seed, args.rate_all,
                            rates(args.rate), args.model_weight, args.sim_weeks, args.new_pattern or None,
                            args.new_pattern_week, args.random_share, _params(args))
    for method, by_rate in report["results"].items():
        print(f"{method:<9} precision " + "  ".join(f"{k}: {v['precision']:.3f}" for k, v in by_rate.items()))
    print(f"report: {args.out}/evaluation.md")
    return 0


def cmd_simulate(args) -> int:
    from pipelines.simulate import format_precisions, run_simulation

    _logging()
    try:
        report = run_simulation(args.out, args.weeks, args.per_day, args.seed, args.rate_all, rates(args.rate),
                                args.new_pattern or None, args.new_pattern_week, args.top_share, args.random_share,
                                args.model_weight, _params(args))
    except ValueError as exc:
        print(f"borderflow simulate: {exc}", file=sys.stderr)
        return 2
    for r in report["rows"]:
        print(f"week {r['week']}: model {r['model'] or '-'}, inspected {r['inspected']}, found {r['found']}, "
              f"precision at 5%: {format_precisions(r['precision_at_5'])}")
    print(f"report: {args.out}/simulation.md")
    return 0


def add_model_commands(subparsers) -> None:
    """Register `train`, `evaluate` and `simulate` on an argparse subparsers object."""
    from pipelines.defaults import DEFAULT_NEW_PATTERN, DEFAULT_RATE

    def model_options(p):
        p.add_argument("--trees", type=positive_int, default=100, help="boosting stages (default 100)")
        p.add_argument("--depth", type=positive_int, default=3, help="largest depth of a tree (default 3)")

    def generated_options(p, seed):
        p.add_argument("--per-day", type=positive_int, default=500, help="declarations per day (default 500)")
        p.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
        p.add_argument("--rate-all", type=share, default=DEFAULT_RATE,
                       help=f"rate of every planted scenario (default {DEFAULT_RATE})")
        p.add_argument("--rate", action="append", type=scenario_rate, metavar="SCENARIO=SHARE",
                       help="rate of one scenario (repeatable)")
        p.add_argument("--new-pattern", default=DEFAULT_NEW_PATTERN,
                       help=f"scenario held at 0 until --new-pattern-week ('' for none; default {DEFAULT_NEW_PATTERN})")
        p.add_argument("--new-pattern-week", type=positive_int, help="week it appears (default: half way)")
        p.add_argument("--random-share", type=share, default=0.02, help="random inspections of the rest (default 0.02)")
        p.add_argument("--model-weight", type=non_negative_float, default=0.5,
                       help="combined score = rule points + weight x 100 x probability (default 0.5)")
        model_options(p)

    tr = subparsers.add_parser("train", help="train the risk model on history and publish it to the registry")
    tr.add_argument("--input", action="append", required=True, help="traffic directory with control results (repeatable)")
    tr.add_argument("--registry", help="registry directory (default .cache/registry or $BORDERFLOW_MODEL_REGISTRY)")
    tr.add_argument("--name", default="risk", help="model name in the registry (default risk)")
    tr.add_argument("--weighting", choices=["propensity", "none"], default="propensity",
                    help="correct for which declarations were controlled (default propensity)")
    tr.add_argument("--ruleset", help="rule-set file or name (default: the packaged default)")
    tr.add_argument("--seed", type=int, default=0, help="random seed of the fit (default 0)")
    model_options(tr)
    tr.set_defaults(func=cmd_train)

    ev = subparsers.add_parser("evaluate", help="held-out evaluation of random, rules, model and combined, with charts")
    ev.add_argument("--out", required=True, help="output directory (evaluation.md, charts, simulation/)")
    ev.add_argument("--train-weeks", type=positive_int, default=3, help="generated weeks to train on (default 3)")
    ev.add_argument("--test-weeks", type=positive_int, default=2, help="further weeks held out (default 2)")
    ev.add_argument("--sim-weeks", type=non_negative_int, default=6,
                    help="weeks of the feedback-loop simulation (0: none; default 6)")
    generated_options(ev, 7)
    ev.set_defaults(func=cmd_evaluate)

    si = subparsers.add_parser("simulate", help="the feedback loop week by week: assess, inspect, learn, retrain")
    si.add_argument("--weeks", type=positive_int, required=True, help="weeks to simulate")
    si.add_argument("--out", required=True, help="output directory (simulation.md/.json/.png, registry/, traffic/)")
    si.add_argument("--top-share", type=share, default=0.05, help="share inspected from the top (default 0.05)")
    generated_options(si, 100)
    si.set_defaults(func=cmd_simulate)
