"""The feedback loop, simulated week by week over generated traffic. `borderflow simulate`.

Each week: generate a week of traffic (its own seed; a scenario can be held at rate 0 until
`new_pattern_week`, a fraud pattern the first models never saw), assess it with the live logic
in memory (pipelines/training.assess), score it with the model of the week before, inspect the
top `top_share` of the combined score plus a random `random_share` of the rest, learn what the
inspections found (ground_truth.json: inspecting a target of a planted instance finds it;
anything else finds nothing), retrain on every label so far, publish, go on.

Selection bias: only inspected declarations get labels, and most are inspected because they
scored high. Each label carries its inspection's propensity: 1 for the top of the ranking (it
was certain to be inspected), `random_share` for a random pick (one of the rest, each with that
probability). Training weighs a row by 1 / propensity, so the labelled sample stands for the
whole traffic (inverse-propensity weighting); the report compares the weighted model's mean
predicted probability with the true fraud share, beside an unweighted model's.

Combined score = rule points + model_weight x 100 x model probability (transforms/scoring.py,
before its cap at 100), and the rule set's own random selection (random_selection_share,
transforms.scoring.random_selected) is always inspected first, as the live job alerts on it.

Week table (the unit of every ranking): one row per assessment: a declaration (with its features)
or a manifest line nobody declared (rule points only; the model cannot score it).
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines import training
from transforms import model as registry
from transforms.features import FEATURE_NAMES
from transforms.reference import load_reference
from transforms.rules import load_ruleset

log = logging.getLogger("borderflow.simulate")

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
from pipelines.defaults import DEFAULT_NEW_PATTERN, DEFAULT_RATE  # noqa: E402
MIN_LABELS = 5  # of each class before a model is trained


# --- a week of traffic as a table ---------------------------------------------------------------------------

def check_scenarios(rates: dict | None, new_pattern: str | None) -> None:
    """ValueError for a scenario code the generator does not plant, before any week is written."""
    from generator.scenarios import SCENARIOS

    for code in [*(rates or {}), *([new_pattern] if new_pattern else [])]:
        if code not in SCENARIOS:
            raise ValueError(f"unknown scenario {code!r}; known: {', '.join(SCENARIOS)}")


def week_rates(week: int, rate: float, rates: dict | None, new_pattern: str | None, new_pattern_week: int) -> dict:
    from generator.scenarios import SCENARIOS

    out = {code: rate for code in SCENARIOS}
    out.update(rates or {})
    if new_pattern and week < new_pattern_week:
        out[new_pattern] = 0.0
    return out


def generate_week(root, week: int, seed: int, per_day: int, rates: dict) -> Path:
    """Week `week` of traffic (seed + week, starting `week` weeks after the default start)."""
    from generator.traffic import DEFAULT_START_MS, generate

    out = Path(root) / f"week-{week:02d}"
    if not (out / "ground_truth.json").exists():
        generate(out, days=7, seed=seed + week, declarations_per_day=per_day, rates=rates,
                 start_ms=DEFAULT_START_MS + week * WEEK_MS)
    return out


def _tiebreak(key: str) -> float:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2.0 ** 64


@dataclass
class WeekTable:
    keys: list  # "D:<declaration_id>" or "H:<house document>"
    X: np.ndarray  # features (zeros where the model cannot score)
    scorable: np.ndarray  # bool: a declaration with features
    rule_points: np.ndarray
    random_pick: np.ndarray  # bool: the rule set's random selection
    fraud: np.ndarray  # bool: a target of a planted instance
    revenue: np.ndarray  # EUR an inspection recovers
    tiebreak: np.ndarray
    instances: list = field(default_factory=list)  # (scenario, [row indices of its targets])

    def __len__(self) -> int:
        return len(self.keys)


def week_table(traffic_dir, ruleset=None, reference=None) -> WeekTable:
    """Assess one traffic directory and tabulate it with its ground truth and revenue.

    Revenue of an inspection: the recovered_amount_eur of the generator's control result where one
    exists; for a planted target without one, the mean recovered amount of its scenario's
    controlled targets that week (else of every positive control): the generator states amounts
    for the controlled share only."""
    rs = ruleset or load_ruleset()
    ref = reference or load_reference()
    traffic_dir = Path(traffic_dir)
    truth = json.loads((traffic_dir / "ground_truth.json").read_text())
    a = training.assess(training.traffic_inputs(traffic_dir), rs, ref)
    keys, X, scorable, points, picks = [], [], [], [], []
    zeros = [0.0] * len(FEATURE_NAMES)
    for s in a.assessments:
        did = s["declaration_id"]
        keys.append(f"D:{did}" if did else f"H:{s['house_document']}")
        row = a.rows.get(did) if did else None
        X.append(row[1] if row else zeros)
        scorable.append(row is not None)
        points.append(training.rule_points(s))
        picks.append(bool(s["random_selection"]))
    index = {k: i for i, k in enumerate(keys)}
    fraud = np.zeros(len(keys), dtype=bool)
    scenario_of: dict[int, str] = {}
    instances = []
    for inst in truth["instances"]:
        if inst["scenario"] == "UNDECLARED_CONSIGNMENT":
            rows = [index[f"H:{h}"] for h in inst["house_documents"] if f"H:{h}" in index]
        else:
            rows = [index[f"D:{t}"] for t in inst["targets"] if f"D:{t}" in index]
        instances.append((inst["scenario"], rows))
        for r in rows:
            fraud[r] = True
            scenario_of[r] = inst["scenario"]
    amount = {c["declaration_id"]: c["recovered_amount_eur"] for c in a.controls if c["finding"] != "NO_FINDING"}
    by_scenario: dict[str, list] = {}
    for r, sc in scenario_of.items():
        did = keys[r][2:]
        if keys[r].startswith("D:") and did in amount:
            by_scenario.setdefault(sc, []).append(amount[did])
    everything = [v for v in amount.values()] or [0.0]
    revenue = np.zeros(len(keys))
    for r, k in enumerate(keys):
        if k.startswith("D:") and k[2:] in amount:
            revenue[r] = amount[k[2:]]
        elif fraud[r]:
            vals = by_scenario.get(scenario_of[r]) or everything
            revenue[r] = float(np.mean(vals))
    return WeekTable(keys, np.asarray(X, dtype=np.float64).reshape(-1, len(FEATURE_NAMES)),
                     np.asarray(scorable), np.asarray(points), np.asarray(picks), fraud, revenue,
                     np.asarray([_tiebreak(k) for k in keys]), instances)


# --- rankings and inspection ----------------------------------------------------------------------------------------

def ranking(score: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Row indices, highest score first; ties in a fixed pseudo-random order."""
    return np.lexsort((tiebreak, -np.asarray(score, dtype=np.float64)))


def combined_score(table: WeekTable, p: np.ndarray, model_weight: float) -> np.ndarray:
    return table.rule_points + model_weight * 100.0 * np.where(table.scorable, p, 0.0)


def combined_order(table: WeekTable, p: np.ndarray, model_weight: float) -> np.ndarray:
    """The rule set's random picks first, then by combined score."""
    score = combined_score(table, p, model_weight) + np.where(table.random_pick, 1e9, 0.0)
    return ranking(score, table.tiebreak)


def inspected_mask(order: np.ndarray, n: int, size: int) -> np.ndarray:
    m = np.zeros(size, dtype=bool)
    m[order[:n]] = True
    return m


def precision_at(order: np.ndarray, fraud: np.ndarray, share: float) -> float:
    n = training.ceil_share(share, len(order))
    return float(fraud[order[:n]].mean()) if n else 0.0


# --- the loop ---------------------------------------------------------------------------------------------------------

@dataclass
class Pool:
    """Every label so far: features, finding, inverse-propensity weight, week."""

    X: list = field(default_factory=list)
    y: list = field(default_factory=list)
    w: list = field(default_factory=list)
    week: list = field(default_factory=list)
    ids: list = field(default_factory=list)

    def add(self, key: str, x, label: bool, weight: float, week: int) -> None:
        self.ids.append(key)
        self.X.append(list(x))
        self.y.append(int(label))
        self.w.append(float(weight))
        self.week.append(week)

    def training_set(self, weighted: bool = True) -> training.TrainingSet:
        w = np.asarray(self.w) if weighted else np.ones(len(self.w))
        return training.TrainingSet(list(self.ids), np.asarray(self.X, dtype=np.float64).reshape(-1, len(FEATURE_NAMES)),
                                    np.asarray(self.y), w,
                                    {"from_week": min(self.week), "to_week": max(self.week)} if self.week else {},
                                    "inverse_propensity" if weighted else "none")


def inspect_week(table: WeekTable, p: np.ndarray, model_weight: float, top_share: float, random_share: float,
                 rng: random.Random) -> dict:
    """Which rows are inspected and with what propensity: the top `top_share` by the combined
    order (propensity 1), then each other row with probability `random_share`."""
    n = len(table)
    order = combined_order(table, p, model_weight)
    k = training.ceil_share(top_share, n)
    top = [int(i) for i in order[:k]]
    rest = order[k:]
    picked = [int(i) for i in rest if rng.random() < random_share]
    return {"top": top, "random": picked, "order": order}


def run_simulation(out_dir, weeks: int, per_day: int = 500, seed: int = 100, rate: float = DEFAULT_RATE,
                   rates: dict | None = None, new_pattern: str | None = DEFAULT_NEW_PATTERN,
                   new_pattern_week: int | None = None, top_share: float = 0.05, random_share: float = 0.02,
                   model_weight: float = 0.5, params: dict | None = None, traffic_root=None) -> dict:
    """Run the loop; writes simulation.json, simulation.md and simulation.png into out_dir and
    publishes each week's model to out_dir/registry. Returns the report dict."""
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks}")
    if not 0 < top_share < 1 or not 0 <= random_share < 1:
        raise ValueError("top_share must be within (0, 1) and random_share within [0, 1)")
    check_scenarios(rates, new_pattern)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    traffic_root = Path(traffic_root) if traffic_root else out / "traffic"
    if new_pattern_week is None:
        new_pattern_week = max(1, weeks // 2)
    rs, ref = load_ruleset(), load_reference()
    rng = random.Random(f"borderflow-simulate-{seed}")
    pool = Pool()
    model = unweighted = None
    rows = []
    for week in range(weeks):
        r = week_rates(week, rate, rates, new_pattern, new_pattern_week)
        table = week_table(generate_week(traffic_root, week, seed, per_day, r), rs, ref)
        p = model.score_many(table.X) if model is not None else np.zeros(len(table))
        p = np.where(table.scorable, p, 0.0)
        pick = inspect_week(table, p, model_weight if model is not None else 0.0, top_share, random_share, rng)
        inspected = pick["top"] + pick["random"]
        for i, propensity in [(i, 1.0) for i in pick["top"]] + [(i, random_share) for i in pick["random"]]:
            if table.scorable[i]:
                pool.add(table.keys[i], table.X[i], table.fraud[i], 1.0 / propensity, week)
        found = int(table.fraud[inspected].sum())
        new_rows = [rr for sc, rs_ in table.instances if sc == new_pattern for rr in rs_]
        order_rules = ranking(table.rule_points, table.tiebreak)
        order_model = ranking(np.where(table.scorable, p, -1.0), table.tiebreak)
        row = {
            "week": week, "model": model.version if model is not None else None,
            "assessed": len(table), "fraud": int(table.fraud.sum()),
            "inspected_top": len(pick["top"]), "inspected_random": len(pick["random"]),
            "inspected": len(inspected), "found": found,
            "found_top": int(table.fraud[pick["top"]].sum()),
            "found_random": int(table.fraud[pick["random"]].sum()) if pick["random"] else 0,
            "precision_at_5": {
                "combined": precision_at(pick["order"], table.fraud, 0.05),
                "rules": precision_at(order_rules, table.fraud, 0.05),
                "model": precision_at(order_model, table.fraud, 0.05) if model is not None else None,
            },
            "new_pattern": {
                "present": bool(new_rows), "targets": len(new_rows),
                "model_mean_p": round(float(p[new_rows].mean()), 4) if new_rows and model is not None else None,
                "model_top5_hits": int(np.isin(new_rows, order_model[:training.ceil_share(0.05, len(table))]).sum())
                if new_rows and model is not None else None,
            },
            "true_fraud_share": round(float(table.fraud[table.scorable].mean()), 5),
            "mean_p_weighted": round(float(p[table.scorable].mean()), 5) if model is not None else None,
            "mean_p_unweighted": round(float(np.where(table.scorable, unweighted.score_many(table.X), 0)
                                             [table.scorable].mean()), 5) if unweighted is not None else None,
        }
        ys = np.asarray(pool.y)
        row["labels"] = {"total": len(pool.y), "positive": int(ys.sum())}
        if ys.sum() >= MIN_LABELS and len(ys) - ys.sum() >= MIN_LABELS:
            ts = pool.training_set(weighted=True)
            uri = training.fit_and_publish(ts, out / "registry", "sim", params, seed=week, ruleset_version=rs.version,
                                           extra={"simulation_week": week})
            model = registry.load_model(uri, ruleset=rs, reference=ref)
            gbc, cal, _ = training.fit(ts.X, ts.y, np.ones(len(ts.y)), params, seed=week)
            unweighted = _UnweightedModel(gbc, cal)
            row["published"] = model.version
        rows.append(row)
        log.info("week %d: %d assessed, %d fraud, %d inspected, %d found; precision at 5%%: %s", week, len(table),
                 row["fraud"], len(inspected), found, format_precisions(row["precision_at_5"]))
    report = {"weeks": weeks, "per_day": per_day, "seed": seed, "rate": rate, "new_pattern": new_pattern,
              "new_pattern_week": new_pattern_week, "top_share": top_share, "random_share": random_share,
              "model_weight": model_weight, "rows": rows}
    (out / "simulation.json").write_text(json.dumps(report, indent=1) + "\n")
    _chart(report, out / "simulation.png")
    (out / "simulation.md").write_text(report_markdown(report, "simulation.png"))
    return report


class _UnweightedModel:
    """The same fit without the inverse-propensity weights (for the bias comparison only)."""

    def __init__(self, gbc, cal):
        self.gbc, self.a, self.b = gbc, cal["a"], cal["b"]

    def score_many(self, X):
        return 1.0 / (1.0 + np.exp(-(self.a * self.gbc.decision_function(X) + self.b)))


def _chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = [r["week"] for r in report["rows"]]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    # combined last and on top: where it equals the rules (the model adds nothing yet) both stay
    # visible, the rules as a wide pale band under it
    for key, style, extra in (("rules", "--s", {"lw": 4, "alpha": 0.45, "ms": 8}), ("model", ":^", {}),
                              ("combined", "-o", {"zorder": 3})):
        ys = [r["precision_at_5"][key] if r["precision_at_5"][key] is not None else math.nan for r in report["rows"]]
        ax.plot(weeks, ys, style, label=key, **extra)
    ax.set_xticks(weeks)  # whole weeks
    if report["new_pattern"] and report["new_pattern_week"] < report["weeks"]:
        ax.axvline(report["new_pattern_week"] - 0.5, color="grey", lw=0.8)
        ax.text(report["new_pattern_week"] - 0.4, 0.05, f"{report['new_pattern']} appears", fontsize=8, color="grey")
    ax.set_xlabel("week")
    ax.set_ylabel("precision at 5% inspected")
    ax.set_ylim(0, 1.05)
    ax.set_title("Feedback loop: precision at 5% week by week")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_precisions(by_method: dict) -> str:
    """{"combined": 0.4, "rules": 0.38, "model": None} -> "combined 0.40, rules 0.38, model n/a"."""
    return ", ".join(f"{method} {_f(v)}" for method, v in by_method.items())


def _f(v, digits=2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def report_markdown(report: dict, chart: str | None) -> str:
    lines = [
        "# Feedback-loop simulation", "",
        f"{report['weeks']} weeks x 7 days x {report['per_day']} declarations/day; each scenario planted at "
        f"{report['rate']:.2%} of filings; `{report['new_pattern']}` held at 0 until week {report['new_pattern_week']}. "
        f"Each week inspects the top {report['top_share']:.0%} of the combined score (rules + "
        f"{report['model_weight']} x 100 x model probability, the rule set's random picks first) plus a random "
        f"{report['random_share']:.0%} of the rest; the model is retrained on every label so far with "
        "inverse-propensity weights (1 for the top, 1/random share for a random pick).", "",
    ]
    if chart:
        lines += [f"![precision at 5%]({chart})", ""]
    lines += ["| week | model | assessed | fraud | inspected (top + random) | found | P@5% combined | P@5% rules | "
              "P@5% model | new pattern: targets, model's top-5% hits, mean p | true fraud share | mean p (IPW) | "
              "mean p (unweighted) | labels (positive) |",
              "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |"]
    for r in report["rows"]:
        npat = r["new_pattern"]
        newp = (f"{npat['targets']}, {npat['model_top5_hits'] if npat['model_top5_hits'] is not None else 'n/a'}, "
                f"{_f(npat['model_mean_p'], 3)}") if npat["present"] else "-"
        p5 = r["precision_at_5"]
        lines.append(f"| {r['week']} | {r['model'] or '-'} | {r['assessed']} | {r['fraud']} | "
                     f"{r['inspected']} ({r['inspected_top']} + {r['inspected_random']}) | {r['found']} | "
                     f"{_f(p5['combined'])} | {_f(p5['rules'])} | {_f(p5['model'])} | {newp} | "
                     f"{r['true_fraud_share']:.4f} | {_f(r['mean_p_weighted'], 4)} | {_f(r['mean_p_unweighted'], 4)} | "
                     f"{r['labels']['total']} ({r['labels']['positive']}) |")
    lines += ["", "P@5%: share of fraud among the 5% ranked highest that week, by the combined order (random "
              "picks first), by rule points alone, by the model alone (the model of the week before: it never "
              "saw this week). Mean p against the true fraud share shows the selection bias: a model fitted "
              "on inspected declarations without weights overestimates the fraud rate of the traffic.", ""]
    return "\n".join(lines)
