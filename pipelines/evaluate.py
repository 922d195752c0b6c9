"""How well the model, the rules and their combination find fraud. `borderflow evaluate`.

Over generated weeks (pipelines/simulate.py's week tables, the live logic run in memory):
1. train: `train_weeks` weeks of history; a model is trained on their control results exactly as
   `borderflow train` does (pipelines/training.py, propensity-weighted) and published to
   OUT/registry;
2. held out: `test_weeks` further weeks (other seeds) are assessed and ranked per week by four
   methods; at each inspection rate (1%, 2%, 5%, 10% of the week's assessments) the top of the
   ranking is inspected:
   - random alone: a random order;
   - rules alone: rule points (rules, indicators, cross-checks; uncapped);
   - model alone: the model's calibrated probability (manifest lines with no declaration last);
   - combined: rule points + model_weight x 100 x probability, the rule set's random picks first
     (transforms/scoring.py; the random share costs part of a small budget);
   precision = fraud inspected / inspected, recall = fraud inspected / fraud, recovered revenue
   (simulate.week_table), per-scenario recall = instances with a target inspected / planted;
3. the feedback-loop simulation (pipelines/simulate.run_simulation) over `sim_weeks` weeks, with
   a scenario the first models never saw: precision at 5% week by week.

Writes OUT/evaluation.md with PNG charts, OUT/evaluation.json, OUT/simulation/.
"""
from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import numpy as np

from pipelines import simulate, training
from transforms import model as registry
from transforms.reference import load_reference
from transforms.rules import load_ruleset

log = logging.getLogger("borderflow.evaluate")

RATES = (0.01, 0.02, 0.05, 0.10)
METHODS = ("random", "rules", "model", "combined")


def method_orders(table: simulate.WeekTable, p: np.ndarray, model_weight: float, rng: random.Random) -> dict:
    return {
        "random": np.asarray(rng.sample(range(len(table)), len(table)), dtype=np.int64),
        "rules": simulate.ranking(table.rule_points, table.tiebreak),
        "model": simulate.ranking(np.where(table.scorable, p, -1.0), table.tiebreak),
        "combined": simulate.combined_order(table, p, model_weight),
    }


def _empty() -> dict:
    return {"inspected": 0, "fraud_found": 0, "revenue": 0.0, "scenarios": {}}


def tally(acc: dict, table: simulate.WeekTable, order: np.ndarray, share: float) -> None:
    """Add one week's inspections at `share` to the running counts."""
    n = training.ceil_share(share, len(table))
    m = simulate.inspected_mask(order, n, len(table))
    acc["inspected"] += n
    acc["fraud_found"] += int(table.fraud[m].sum())
    acc["revenue"] += float(table.revenue[m].sum())
    for scenario, rows in table.instances:
        s = acc["scenarios"].setdefault(scenario, {"planted": 0, "caught": 0})
        s["planted"] += 1
        s["caught"] += int(bool(rows) and bool(m[rows].any()))


def finish(acc: dict, fraud_total: int, revenue_total: float) -> dict:
    out = dict(acc)
    out["precision"] = round(acc["fraud_found"] / acc["inspected"], 4) if acc["inspected"] else None
    out["recall"] = round(acc["fraud_found"] / fraud_total, 4) if fraud_total else None
    out["revenue"] = round(acc["revenue"], 2)
    out["revenue_share"] = round(acc["revenue"] / revenue_total, 4) if revenue_total else None
    for s in out["scenarios"].values():
        s["recall"] = round(s["caught"] / s["planted"], 4) if s["planted"] else None
    return out


def run_evaluation(out_dir, train_weeks: int = 3, test_weeks: int = 2, per_day: int = 500, seed: int = 7,
                   rate: float = simulate.DEFAULT_RATE, rates: dict | None = None, model_weight: float = 0.5,
                   sim_weeks: int = 6, new_pattern: str | None = simulate.DEFAULT_NEW_PATTERN,
                   new_pattern_week: int | None = None, random_share: float = 0.02, params: dict | None = None) -> dict:
    simulate.check_scenarios(rates, new_pattern)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    traffic = out / "traffic"
    rs, ref = load_ruleset(), load_reference()
    week_rates = simulate.week_rates(0, rate, rates, None, 0)

    # 1. train on the history's control results, as `borderflow train`
    history = []
    for w in range(train_weeks):
        d = simulate.generate_week(traffic, w, seed, per_day, week_rates)
        log.info("assessing training week %d", w)
        history.append(training.assess(training.traffic_inputs(d), rs, ref))
    ts = training.training_set(history, "propensity")
    uri = training.fit_and_publish(ts, out / "registry", registry.DEFAULT_NAME, params, seed=seed,
                                   ruleset_version=rs.version, extra={"sources": f"generated weeks 0-{train_weeks - 1}"})
    model = registry.load_model(uri, ruleset=rs, reference=ref)

    # 2. held-out weeks
    rng = random.Random(f"borderflow-evaluate-{seed}")
    acc = {m: {r: _empty() for r in RATES} for m in METHODS}
    fraud_total, revenue_total, assessed = 0, 0.0, 0
    for w in range(train_weeks, train_weeks + test_weeks):
        log.info("assessing held-out week %d", w)
        table = simulate.week_table(simulate.generate_week(traffic, w, seed, per_day, week_rates), rs, ref)
        p = np.where(table.scorable, model.score_many(table.X), 0.0)
        fraud_total += int(table.fraud.sum())
        revenue_total += float(table.revenue.sum())
        assessed += len(table)
        for method, order in method_orders(table, p, model_weight, rng).items():
            for r in RATES:
                tally(acc[method][r], table, order, r)
    results = {m: {f"{r:.0%}": finish(acc[m][r], fraud_total, revenue_total) for r in RATES} for m in METHODS}

    # 3. the feedback loop
    sim = None
    if sim_weeks > 0:
        sim = simulate.run_simulation(out / "simulation", sim_weeks, per_day, seed + 1000, rate, rates, new_pattern,
                                      new_pattern_week, 0.05, random_share, model_weight, params)

    report = {"train_weeks": train_weeks, "test_weeks": test_weeks, "per_day": per_day, "seed": seed, "rate": rate,
              "model_weight": model_weight, "model": registry.read_metadata(uri), "held_out": {
                  "assessments": assessed, "fraud": fraud_total, "revenue_at_stake": round(revenue_total, 2)},
              "results": results, "simulation": sim}
    (out / "evaluation.json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    _charts(report, out)
    (out / "evaluation.md").write_text(markdown(report))
    return report


def _charts(report: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r * 100 for r in RATES]
    keys = [f"{r:.0%}" for r in RATES]
    res = report["results"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, metric, label in zip(axes, ("precision", "recall", "revenue"),
                                 ("precision", "recall", "recovered revenue (EUR)")):
        for m, style in zip(METHODS, (":x", "--s", "-.^", "-o")):
            ax.plot(xs, [res[m][k][metric] or 0 for k in keys], style, label=m)
        ax.set_xlabel("inspected (% of assessments)")
        ax.set_ylabel(label)
        ax.set_xticks(xs)
    axes[0].legend(fontsize=8)
    fig.suptitle("Held-out weeks: what each method finds at each inspection rate")
    fig.tight_layout()
    fig.savefig(out / "rates.png", dpi=110)
    plt.close(fig)

    scenarios = sorted(res["combined"]["5%"]["scenarios"])
    fig, ax = plt.subplots(figsize=(12, 3.8))
    width = 0.2
    for i, m in enumerate(METHODS):
        ax.bar(np.arange(len(scenarios)) + (i - 1.5) * width,
               [res[m]["5%"]["scenarios"][s]["recall"] or 0 for s in scenarios], width, label=m)
    ax.set_xticks(np.arange(len(scenarios)))
    ax.set_xticklabels(scenarios, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("recall at 5% inspected")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "scenarios.png", dpi=110)
    plt.close(fig)


def markdown(report: dict) -> str:
    res, meta = report["results"], report["model"]
    keys = [f"{r:.0%}" for r in RATES]
    ho = report["held_out"]
    # the options it was trained with (--trees, --depth); the deepest fitted tree may stop short of max_depth
    params = meta.get("params") or {}
    shape = (f"{params['n_estimators']} trees, --depth {params['max_depth']} (deepest fitted tree "
             f"{meta['compiled']['depth']})" if params else
             f"{meta['compiled']['trees']} trees, fitted depth {meta['compiled']['depth']}")
    lines = [
        "# Risk model evaluation", "",
        f"Model `{meta['version']}` ({shape}, "
        f"scikit-learn {meta['sklearn_version']}), trained on the control results of {report['train_weeks']} "
        f"generated weeks ({meta['metrics']['rows']} labelled declarations, {meta['metrics']['positives']} positive; "
        f"calibration-fold AUC {meta['metrics'].get('auc', 'n/a')}, Brier {meta['metrics'].get('brier', 'n/a')}). "
        f"Held out: {report['test_weeks']} further weeks, {ho['assessments']} assessments, {ho['fraud']} fraudulent "
        f"(targets of planted instances), {ho['revenue_at_stake']:,.0f} EUR recoverable. Each scenario planted at "
        f"{report['rate']:.2%} of filings; {report['per_day']} declarations a day. Combined = rule points + "
        f"{report['model_weight']} x 100 x model probability, the rule set's random picks first.", "",
        "## Precision of fraud at each inspection rate", "",
        "| method | " + " | ".join(keys) + " |", "| --- |" + " ---: |" * len(keys)]
    for m in METHODS:
        lines.append(f"| {m} | " + " | ".join(f"{res[m][k]['precision']:.3f}" for k in keys) + " |")
    lines += ["", "## Recall of fraud", "", "| method | " + " | ".join(keys) + " |", "| --- |" + " ---: |" * len(keys)]
    for m in METHODS:
        lines.append(f"| {m} | " + " | ".join(f"{res[m][k]['recall']:.3f}" for k in keys) + " |")
    lines += ["", "## Recovered revenue (EUR)", "", "| method | " + " | ".join(keys) + " |",
              "| --- |" + " ---: |" * len(keys)]
    for m in METHODS:
        lines.append(f"| {m} | " + " | ".join(f"{res[m][k]['revenue']:,.0f}" for k in keys) + " |")
    lines += ["", "![precision, recall and revenue by inspection rate](rates.png)", "",
              "## Recall per scenario at 5% inspected", "", "| scenario | planted | " + " | ".join(METHODS) + " |",
              "| --- | ---: |" + " ---: |" * len(METHODS)]
    for s in sorted(res["combined"]["5%"]["scenarios"]):
        row = res["combined"]["5%"]["scenarios"][s]
        lines.append(f"| {s} | {row['planted']} | " + " | ".join(
            f"{res[m]['5%']['scenarios'][s]['recall']:.2f}" for m in METHODS) + " |")
    lines += ["", "![recall per scenario](scenarios.png)", ""]
    if report.get("simulation"):
        sim = report["simulation"]
        lines += ["## The feedback loop", "",
                  f"`borderflow simulate` over {sim['weeks']} weeks (details: [simulation/simulation.md]"
                  f"(simulation/simulation.md)); `{sim['new_pattern']}` appears in week {sim['new_pattern_week']}.", "",
                  "![precision at 5% week by week](simulation/simulation.png)", "",
                  "| week | model | P@5% combined | P@5% rules | P@5% model | new pattern targets in the model's top 5% |",
                  "| ---: | --- | ---: | ---: | ---: | --- |"]
        for r in sim["rows"]:
            p5, npat = r["precision_at_5"], r["new_pattern"]
            hits = f"{npat['model_top5_hits']} of {npat['targets']}" if npat["present"] and npat["model_top5_hits"] \
                is not None else ("-" if not npat["present"] else f"n/a of {npat['targets']}")
            lines.append(f"| {r['week']} | {r['model'] or '-'} | {simulate._f(p5['combined'])} | "
                         f"{simulate._f(p5['rules'])} | {simulate._f(p5['model'])} | {hits} |")
        lines.append("")
    lines += ["## How to read this", "",
              "- Precision: share of inspected assessments that were fraud (targets of planted instances; an "
              "undeclared manifest line counts as one assessment). Recall: share of all fraud inspected. At an "
              "inspection rate above the fraud share precision must fall: there is not enough fraud to fill the "
              "budget.",
              "- Revenue: the generator's recovered amount where it wrote a control result, else the mean of "
              "the scenario's controlled instances that week (docs/model.md).",
              "- The model sees the rules' evidence as features (transforms/features.py), so 'model alone' "
              "re-learns the rules from a few hundred labels; 'combined' pays for the rule set's random "
              "selection out of the same budget.", ""]
    return "\n".join(lines)
