"""Training the risk model: features from the live logic, labels from controls, a calibrated
gradient-boosted model, published to the registry (transforms/model.py). `borderflow train`.

Features without skew: the traffic runs through the in-memory runner (transforms/runner.py: the
same CHECKS and ASSESSOR as the live job) with a `FeatureRecorder` as the assessor's model. The
assessor calls it exactly where it would call the live model, with the same declaration version
and evidence list, and the recorder keeps transforms.features.features() of them: a training row
is by construction what the live scorer receives (tests/unit/test_model_features.py checks it).

Labels: control results (finding IRREGULARITY or SEIZURE = 1, NO_FINDING = 0), joined on
declaration_id. Only controlled declarations have labels, and controls are not a random sample
(officers control what looks risky), so rows are weighted by the inverse of their probability of
having been controlled (`weighting`):
- "propensity" (default for history): P(controlled | features) fitted by logistic regression over
  every assessed declaration; weight 1 / max(p, PROPENSITY_FLOOR);
- "none": every labelled row weighs 1;
- explicit weights (the simulation knows each inspection's propensity: 1 for the top of the
  ranking, the random share for a random pick) via `fit_and_publish(..., weights=...)`.

The model: GradientBoostingClassifier (depth 3, 100 trees, learning rate 0.1), fitted on 70% of
the labelled rows; a sigmoid (Platt) calibration of its log-odds fitted on the other 30%, where
the metrics are measured too (AUC and average precision do not depend on the monotone
calibration; Brier score and log loss are slightly optimistic). Sigmoid rather than isotonic: a
few hundred labels make isotonic steps noisy.
"""
from __future__ import annotations

import hashlib
import heapq
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from transforms import intake, model as registry
from transforms.assessment import DeclarationAssessor
from transforms.features import FEATURE_NAMES, features
from transforms.reference import load_reference
from transforms.rules import MODEL, load_ruleset
from transforms.runner import Runner
from transforms.state_machine import CONTROL_RESULT

log = logging.getLogger("borderflow.training")

POSITIVE_FINDINGS = frozenset({"IRREGULARITY", "SEIZURE"})
PROPENSITY_FLOOR = 0.01
DEFAULT_PARAMS = {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1, "subsample": 1.0}
CALIBRATION_SHARE = 0.3
_DAY_MS = 86_400_000


# --- inputs ------------------------------------------------------------------------------------------

def traffic_inputs(traffic_dir) -> list[tuple[str, dict, int]]:
    """(kind, record, event_time_ms) of a generated traffic directory, merged in event-time order,
    read straight from its Avro files (container_events.avro holds the DCSA events as intake
    normalises them). The same records the job decodes from the wire, without the round trip."""
    from borderflow.avro_files import read_all_records

    d = Path(traffic_dir)

    def timed(path, kind, time_field):
        # a damaged file stops the training with its name: a model is not fitted on part of the history
        for r in read_all_records(path):
            yield r[time_field], kind, r

    streams = [timed(d / f"{stream}.avro", kind, time_field)
               for stream, (kind, time_field) in intake.STREAMS.items() if (d / f"{stream}.avro").exists()]
    return [(kind, r, t) for t, kind, r in heapq.merge(*streams, key=lambda m: m[0])]


# --- the recording model --------------------------------------------------------------------------------

class FeatureRecorder:
    """A ModelScorer that records the features of what the assessor asks it to score, and scores
    0 (or what `inner` scores, computed from the same features)."""

    version = "feature-recorder"

    def __init__(self, ruleset, reference, inner=None):
        self.ruleset, self.reference, self.inner = ruleset, reference, inner
        self.rows: dict[str, tuple[int, list[float]]] = {}  # declaration_id -> (version, features)

    def score(self, decl, evidence) -> float:
        x = features(decl, evidence, self.ruleset, self.reference)
        self.rows[decl["declaration_id"]] = (decl["version"], x)
        return self.inner.score_vector(x) if self.inner is not None else 0.0


class FileRecorder:
    """A ModelScorer that appends what the assessor passes it (declaration, evidence) as JSON
    lines to a file, and scores 0: it survives pickling into an engine's workers (the Flink-side
    parity test sets it as transforms.topology.ASSESSOR.model)."""

    version = "file-recorder"

    def __init__(self, path):
        self.path = str(path)

    def score(self, decl, evidence) -> float:
        import json

        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"decl": decl, "evidence": evidence}) + "\n")
        return 0.0


@dataclass
class Assessed:
    """One run of the topology over some traffic, with the features the model was shown."""

    assessments: list[dict]
    rows: dict  # declaration_id -> (version, features)
    controls: list[dict]
    filed_at: dict = field(default_factory=dict)  # declaration_id -> first filed_at_ms


def assess(inputs, ruleset=None, reference=None) -> Assessed:
    """Run CHECKS + ASSESSOR in memory over (kind, record, time) inputs, recording features."""
    rs = ruleset if ruleset is not None and not isinstance(ruleset, str) else load_ruleset(ruleset)
    ref = reference if reference is not None else load_reference()
    recorder = FeatureRecorder(rs, ref)
    runner = Runner(rs, ref, assessor=DeclarationAssessor(model=recorder), now_ms=lambda: 0)
    controls, filed = [], {}
    for kind, record, t in inputs:
        if kind == CONTROL_RESULT:
            controls.append(record)
        elif kind == "declaration":
            filed.setdefault(record["declaration_id"], record["filed_at_ms"])
        runner.feed(kind, record, t)
    return Assessed(runner.finish(), recorder.rows, controls, filed)


def rule_points(assessment: dict) -> float:
    """Points of the rules, indicators and cross-checks, uncapped (scoring.py adds them up)."""
    return float(sum(e["contribution"] for e in assessment["scorecard"] if e["kind"] not in (MODEL, "RANDOM")))


# --- the training set -------------------------------------------------------------------------------------

@dataclass
class TrainingSet:
    ids: list
    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    window: dict
    weighting: str

    def data_hash(self) -> str:
        h = hashlib.sha256()
        h.update("|".join(FEATURE_NAMES).encode())
        for a in (self.X.astype(np.float64), self.y.astype(np.int8), np.round(self.w, 9)):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update("\n".join(self.ids).encode())
        return h.hexdigest()


def _iso_day(ms) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).date().isoformat()


def propensity_weights(X_all: np.ndarray, controlled: np.ndarray) -> np.ndarray:
    """1 / P(controlled | features) for every row (logistic regression on standardised features)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if controlled.all() or not controlled.any():
        return np.ones(len(controlled))
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
    clf.fit(X_all, controlled.astype(int))
    p = clf.predict_proba(X_all)[:, 1]
    return 1.0 / np.maximum(p, PROPENSITY_FLOOR)


def training_set(assessed: list[Assessed], weighting: str = "propensity") -> TrainingSet:
    """Labelled rows (controlled declarations with their features at decision time)."""
    if weighting not in ("propensity", "none"):
        raise ValueError(f"weighting must be 'propensity' or 'none', got {weighting!r}")
    ids, X, controlled, y, filed = [], [], [], [], []
    for a in assessed:
        labels = {}
        for c in a.controls:  # a later control of the same declaration overrides (latest finding)
            labels[c["declaration_id"]] = 1 if c["finding"] in POSITIVE_FINDINGS else 0
        for did in sorted(a.rows):
            ids.append(did)
            X.append(a.rows[did][1])
            controlled.append(did in labels)
            y.append(labels.get(did, 0))
            filed.append(a.filed_at.get(did, 0))
    X = np.asarray(X, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
    controlled = np.asarray(controlled, dtype=bool)
    w_all = propensity_weights(X, controlled) if weighting == "propensity" else np.ones(len(ids))
    sel = np.flatnonzero(controlled)
    filed_sel = [filed[i] for i in sel]
    window = {"from": _iso_day(min(filed_sel)), "to": _iso_day(max(filed_sel))} if len(sel) else {}
    return TrainingSet([ids[i] for i in sel], X[sel], np.asarray(y)[sel], w_all[sel], window, weighting)


# --- fitting and publishing ------------------------------------------------------------------------------------

def fit(X, y, w, params=None, seed: int = 0):
    """(fitted GradientBoostingClassifier, calibration dict, metrics dict)."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split

    y = np.asarray(y, dtype=int)
    w = np.asarray(w, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos < 2 or n_neg < 2:
        raise ValueError(f"too few labels to train: {n_pos} positive, {n_neg} negative (need 2 of each)")
    params = {**DEFAULT_PARAMS, **(params or {})}
    idx = np.arange(len(y))
    tr, cal = train_test_split(idx, test_size=CALIBRATION_SHARE, random_state=seed, stratify=y)
    gbc = GradientBoostingClassifier(random_state=seed, **params)
    gbc.fit(X[tr], y[tr], sample_weight=w[tr])
    raw = gbc.decision_function(X[cal])
    if len(set(y[cal])) == 2:
        lr = LogisticRegression(C=1e4, max_iter=1000).fit(raw[:, None], y[cal], sample_weight=w[cal])
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    else:
        a, b = 1.0, 0.0
    p = 1.0 / (1.0 + np.exp(-(a * raw + b)))
    metrics = {"rows": int(len(y)), "positives": n_pos, "train_rows": int(len(tr)), "calibration_rows": int(len(cal)),
               "weighted_positive_share": round(float((w * y).sum() / w.sum()), 5)}
    if len(set(y[cal])) == 2:
        metrics.update({
            "auc": round(float(roc_auc_score(y[cal], p, sample_weight=w[cal])), 4),
            "average_precision": round(float(average_precision_score(y[cal], p, sample_weight=w[cal])), 4),
            "brier": round(float(brier_score_loss(y[cal], p, sample_weight=w[cal])), 5),
            "log_loss": round(float(log_loss(y[cal], p, sample_weight=w[cal], labels=[0, 1])), 5),
        })
    return gbc, {"method": "sigmoid", "a": a, "b": b}, metrics


def fit_and_publish(ts: TrainingSet, registry_path=None, name: str = registry.DEFAULT_NAME, params=None,
                    seed: int = 0, ruleset_version: str | None = None, extra: dict | None = None) -> str:
    """Fit, compile, check the compiled model against scikit-learn, publish; returns the URI."""
    gbc, calibration, metrics = fit(ts.X, ts.y, ts.w, params, seed)
    compiled = registry.compile_gbt(gbc, len(FEATURE_NAMES))
    a = compiled
    got = a["bias"] + registry._walk(a["feature"], a["threshold"], a["leaf_value"], a["depth"], ts.X)
    diff = float(np.max(np.abs(got - gbc.decision_function(ts.X)))) if len(ts.X) else 0.0
    if not diff < 1e-9:
        raise RuntimeError(f"compiled trees disagree with scikit-learn by {diff}")
    info = {
        "training_window": ts.window, "data_hash": ts.data_hash(), "metrics": metrics,
        "params": {**DEFAULT_PARAMS, **(params or {}), "random_state": seed}, "weighting": ts.weighting,
        "ruleset_version": ruleset_version, **(extra or {}),
    }
    return registry.publish(compiled, calibration, info, registry_path, name)


def run_training(traffic_dirs, registry_path=None, name: str = registry.DEFAULT_NAME, weighting: str = "propensity",
                 params=None, seed: int = 0, ruleset=None) -> dict:
    """`borderflow train`: history (traffic directories) -> a published model. Returns
    {"uri", "metadata"}."""
    rs = load_ruleset(ruleset) if ruleset is None or isinstance(ruleset, str) else ruleset
    ref = load_reference()
    missing = [str(d) for d in traffic_dirs if not Path(d).is_dir()]
    if missing:  # before any work
        raise FileNotFoundError(f"no traffic directory {', '.join(missing)}")
    assessed = []
    for d in traffic_dirs:
        log.info("assessing %s", d)
        assessed.append(assess(traffic_inputs(d), rs, ref))
    ts = training_set(assessed, weighting)
    log.info("%d labelled declarations (%d positive)", len(ts.y), int(ts.y.sum()))
    uri = fit_and_publish(ts, registry_path, name, params, seed, rs.version,
                          {"sources": [str(Path(d)) for d in traffic_dirs]})
    return {"uri": uri, "metadata": registry.read_metadata(uri)}


def ceil_share(share: float, n: int) -> int:
    """How many of n a share inspects (at least one when the share is positive)."""
    return min(n, max(1 if share > 0 and n else 0, math.ceil(share * n - 1e-9)))
