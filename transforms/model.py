"""The trained risk model: compiled trees, calibrated probability, explanation; the model registry.

A model is a scikit-learn GradientBoostingClassifier (binary) trained by pipelines/training.py,
compiled here into flat numpy arrays so the live job scores a declaration without scikit-learn on
the hot path, plus a sigmoid (Platt) calibration of its raw log-odds:

    p = 1 / (1 + exp(-(a * raw + b))),   raw = bias + sum over trees of the leaf reached

Compilation pads every tree into a complete binary tree of the ensemble's depth D (a leaf above
depth D becomes a split that always goes left): batches walk all trees together in D numpy steps;
one declaration at a time goes through Python if/else generated from the arrays at load time
(numpy's per-call overhead would dominate a single row). Each leaf also stores the path contributions of every feature (Saabas:
the change of the node value at each split on the way down, attributed to the split's feature;
they add up to raw - bias), which explains an assessment at no extra walk.

`TrainedModel` implements transforms.scoring.ModelScorer (`version`, `score(decl, evidence)`),
plus `score_explained(decl, evidence)` -> (p, top features) that the assessor uses to name the
top contributing features in the MODEL scorecard entry. It is picklable (the Flink job ships the
assessor and the Context to its workers).

Registry: a directory (default `.cache/registry`, env BORDERFLOW_MODEL_REGISTRY):

    <registry>/<name>/<version>/model.npz        compiled arrays (numpy, no pickle)
    <registry>/<name>/<version>/metadata.json    feature list and schema, training window, data hash,
                                                 metrics, scikit-learn version, artifact sha256
    <registry>/<name>/LATEST                     the version published last

`publish(...)` writes a new version and returns its URI (file://...); `load_model(uri, expect)`
refuses with ModelMismatch an artifact whose feature list, feature version, format or
scikit-learn version differ from `expect`, or whose model.npz does not hash to its metadata's
artifact_sha256. docs/model.md gives the object-store layout for Kubernetes.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import heapq
import io
import json
import math
import os
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np

from transforms.features import FEATURE_NAMES, FEATURE_SCHEMA, FEATURE_VERSION, features

FORMAT_VERSION = 1
DEFAULT_NAME = "risk"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = ROOT / ".cache" / "registry"
_ARRAYS = ("feature", "threshold", "leaf_value", "leaf_contrib")


class ModelMismatch(ValueError):
    """The artifact is not what the job expects (features, formats, versions) or was altered."""


def sklearn_version() -> str:
    # From the package metadata, not `import sklearn`: importing scikit-learn (and SciPy's C
    # extensions) inside a PyFlink thread-mode worker deadlocks the embedded interpreter.
    from importlib.metadata import version

    return version("scikit-learn")


@dataclass(frozen=True)
class Expectation:
    """What a loader requires of an artifact. `ruleset_version` None accepts any rule set."""

    feature_names: tuple = FEATURE_NAMES
    feature_version: str = FEATURE_VERSION
    sklearn_version: str = field(default_factory=sklearn_version)
    format: int = FORMAT_VERSION
    ruleset_version: str | None = None


def job_expectation(ruleset_version: str | None = None) -> Expectation:
    """What the live job (this code base) can serve."""
    return Expectation(ruleset_version=ruleset_version)


# --- compiling a fitted GradientBoostingClassifier ---------------------------------------------------

def compile_gbt(gbc, n_features: int) -> dict:
    """Flat arrays of a fitted binary GradientBoostingClassifier (see the module docstring)."""
    if getattr(gbc, "n_classes_", 2) != 2:
        raise ValueError("only binary classifiers compile")
    trees = [est[0].tree_ for est in gbc.estimators_]
    lr = float(gbc.learning_rate)
    depth = max(1, max(t.max_depth for t in trees))
    n_inner, n_leaves = 2 ** depth - 1, 2 ** depth
    T = len(trees)
    feat = np.zeros((T, n_inner), dtype=np.int32)
    thr = np.full((T, n_inner), np.inf)
    leaf_value = np.zeros((T, n_leaves))
    leaf_contrib = np.zeros((T, n_leaves, n_features))
    for t, tree in enumerate(trees):
        left, right = tree.children_left, tree.children_right
        value = tree.value[:, 0, 0] * lr

        def fill(node, pos, level, contrib):
            if level == depth:
                leaf_value[t, pos - n_inner] = value[node]
                leaf_contrib[t, pos - n_inner] = contrib
                return
            if left[node] == -1:  # a leaf above depth D: a split that always goes left
                fill(node, 2 * pos + 1, level + 1, contrib)
                fill(node, 2 * pos + 2, level + 1, contrib)
                return
            f = int(tree.feature[node])
            feat[t, pos] = f
            thr[t, pos] = tree.threshold[node]
            for child, child_pos in ((left[node], 2 * pos + 1), (right[node], 2 * pos + 2)):
                c = contrib.copy()
                c[f] += value[child] - value[node]
                fill(child, child_pos, level + 1, c)

        fill(0, 0, 0, np.zeros(n_features))
    zeros = np.zeros((1, n_features))
    raw0 = float(gbc.decision_function(zeros)[0])
    bias = raw0 - float(_walk(feat, thr, leaf_value, depth, zeros)[0])
    return {"feature": feat, "threshold": thr, "leaf_value": leaf_value, "leaf_contrib": leaf_contrib,
            "bias": bias, "depth": depth}


def _generate(feat, thr, leaf_value, leaf_contrib, depth):
    """Two functions over a float32 feature sequence x: raw(x) -> sum of the leaf values, and
    raw_explain(x) -> (the same, (path contribution of each feature some path credits, in the
    order of the returned index tuple)). Generated from numbers only (int feature indices, float literals via repr);
    contributions accumulate in local variables (the cheapest store CPython has)."""
    n_inner = 2 ** depth - 1
    credited = sorted({int(j) for j in np.flatnonzero(np.abs(leaf_contrib).sum(axis=(0, 1)))})
    plain = ["def raw(x):", " s = 0.0"]
    explain = ["def raw_explain(x):", " s = 0.0"] + [f" c{j} = 0.0" for j in credited]

    def emit(t, pos, level, indent):
        pad = " " * indent
        if level == depth:
            leaf = pos - n_inner
            plain.append(f"{pad}s += {float(leaf_value[t, leaf])!r}")
            explain.append(f"{pad}s += {float(leaf_value[t, leaf])!r}")
            for j in np.flatnonzero(leaf_contrib[t, leaf]):
                explain.append(f"{pad}c{int(j)} += {float(leaf_contrib[t, leaf, j])!r}")
            return
        if not np.isfinite(thr[t, pos]):  # padding: always left
            emit(t, 2 * pos + 1, level + 1, indent)
            return
        for out in (plain, explain):
            out.append(f"{pad}if x[{int(feat[t, pos])}] <= {float(thr[t, pos])!r}:")
        emit(t, 2 * pos + 1, level + 1, indent + 1)
        plain.append(f"{pad}else:")
        explain.append(f"{pad}else:")
        emit(t, 2 * pos + 2, level + 1, indent + 1)

    for t in range(feat.shape[0]):
        emit(t, 0, 0, 1)
    plain.append(" return s")
    explain.append(" return s, (" + "".join(f"c{j}, " for j in credited) + ")")
    scope: dict = {}
    exec(compile("\n".join(plain) + "\n" + "\n".join(explain) + "\n", "<compiled trees>", "exec"), scope)
    return scope["raw"], scope["raw_explain"], tuple(credited)


def _walk(feat, thr, leaf_value, depth, X):
    """Sum of the leaf values reached by each row of X (n, F): vectorised over rows and trees."""
    X = np.asarray(X, dtype=np.float32)  # scikit-learn compares float32 features with its thresholds
    n, T = X.shape[0], feat.shape[0]
    node = np.zeros((n, T), dtype=np.int64)
    tree_idx = np.arange(T)
    rows = np.arange(n)[:, None]
    for _ in range(depth):
        f = feat[tree_idx, node]
        node = 2 * node + 1 + (X[rows, f] > thr[tree_idx, node])
    return leaf_value[tree_idx, node - (2 ** depth - 1)].sum(axis=1)


# --- the model ---------------------------------------------------------------------------------------

class TrainedModel:
    """A compiled, calibrated model from the registry (transforms.scoring.ModelScorer)."""

    def __init__(self, arrays: dict, metadata: dict, ruleset=None, reference=None):
        self.metadata = metadata
        self.version = metadata["version"]
        self.feature_names = tuple(metadata["feature_names"])
        self.depth = int(metadata["compiled"]["depth"])
        self.bias = float(metadata["compiled"]["bias"])
        cal = metadata["calibration"]
        self.a, self.b = float(cal["a"]), float(cal["b"])
        self._arrays = {k: np.asarray(arrays[k]) for k in _ARRAYS}
        self.ruleset, self.reference = ruleset, reference
        self._prepare()

    def _prepare(self) -> None:
        # The hot path: the trees as generated Python if/else (one declaration at a time, numpy's
        # per-call overhead would dominate), built from the arrays, never stored.
        a = self._arrays
        self._raw, self._raw_explain, self._credited = _generate(a["feature"], a["threshold"], a["leaf_value"],
                                                 a["leaf_contrib"], self.depth)

    def __getstate__(self):
        return {"arrays": self._arrays, "metadata": self.metadata, "ruleset": self.ruleset,
                "reference": self.reference}

    def __setstate__(self, s):
        self.__init__(s["arrays"], s["metadata"], s["ruleset"], s["reference"])

    def __repr__(self) -> str:
        return f"TrainedModel({self.version})"

    def bind(self, ruleset=None, reference=None) -> "TrainedModel":
        """Set the rule set and reference data the features are computed with (the job's own)."""
        if ruleset is not None:
            self.ruleset = ruleset
        if reference is not None:
            self.reference = reference
        return self

    def _context(self):
        if self.ruleset is None:
            from transforms.rules import load_ruleset

            self.ruleset = load_ruleset()
        if self.reference is None:
            from transforms.reference import load_reference

            self.reference = load_reference()
        return self.ruleset, self.reference

    # -- one declaration --------------------------------------------------------------------------
    def probability(self, raw: float) -> float:
        z = self.a * raw + self.b
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def score_vector(self, x) -> float:
        # array("f") rounds to float32: scikit-learn compares float32 features with its thresholds
        return self.probability(self.bias + self._raw(array("f", x)))

    def explain_vector(self, x, top: int = 3) -> tuple[float, list[tuple[str, float, float]]]:
        """(probability, [(feature, value, contribution in calibrated log-odds)], the `top`
        largest positive contributions first)."""
        xv = array("f", x)
        raw, credit = self._raw_explain(xv)
        a, names = self.a, self.feature_names
        best = heapq.nlargest(top, zip(credit, self._credited))
        if a < 0:  # a degenerate calibration reverses what raises the probability
            best = heapq.nsmallest(top, zip(credit, self._credited))
        return self.probability(self.bias + raw), [(names[j], float(xv[j]), v * a) for v, j in best if v * a > 0]

    def score(self, decl, evidence) -> float:
        if decl is None:
            return 0.0
        rs, ref = self._context()
        return self.score_vector(features(decl, evidence, rs, ref))

    def score_explained(self, decl, evidence, top: int = 3):
        if decl is None:
            return 0.0, []
        rs, ref = self._context()
        return self.explain_vector(features(decl, evidence, rs, ref), top)

    def explain(self, decl, evidence, top: int = 3) -> list[tuple[str, float, float]]:
        return self.score_explained(decl, evidence, top)[1]

    # -- many rows (training, evaluation) ---------------------------------------------------------
    def raw_many(self, X) -> np.ndarray:
        a = self._arrays
        return self.bias + _walk(a["feature"], a["threshold"], a["leaf_value"], self.depth, X)

    def score_many(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.shape[0] == 0:
            return np.zeros(0)
        z = self.a * self.raw_many(X) + self.b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))


# --- the registry --------------------------------------------------------------------------------------

def registry_dir(registry=None) -> Path:
    return Path(registry or os.environ.get("BORDERFLOW_MODEL_REGISTRY") or DEFAULT_REGISTRY)


def _npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(arrays[k]) for k in _ARRAYS})
    return buf.getvalue()


def publish(compiled: dict, calibration: dict, info: dict, registry=None, name: str = DEFAULT_NAME) -> str:
    """Write a new model version; returns its URI. `compiled` is compile_gbt's output,
    `calibration` {"method": "sigmoid", "a", "b"}, `info` the training facts for the metadata
    (training_window, data_hash, metrics, params, ruleset_version, rows...)."""
    base = registry_dir(registry) / name
    base.mkdir(parents=True, exist_ok=True)
    n = 1 + max((int(p.name.rsplit("-", 1)[-1]) for p in base.iterdir()
                 if p.is_dir() and p.name.startswith(name + "-") and p.name.rsplit("-", 1)[-1].isdigit()),
                default=0)
    version = f"{name}-{n:04d}"
    payload = _npz_bytes(compiled)
    meta = {
        "format": FORMAT_VERSION,
        "name": name,
        "version": version,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "feature_version": FEATURE_VERSION,
        "feature_schema": FEATURE_SCHEMA,
        "feature_names": list(FEATURE_NAMES),
        "sklearn_version": sklearn_version(),
        "numpy_version": np.__version__,
        "estimator": "GradientBoostingClassifier",
        "compiled": {"depth": int(compiled["depth"]), "bias": float(compiled["bias"]),
                     "trees": int(np.asarray(compiled["feature"]).shape[0])},
        "calibration": calibration,
        "artifact_sha256": hashlib.sha256(payload).hexdigest(),
        **info,
    }
    tmp = base / f".{version}.tmp"
    tmp.mkdir()
    (tmp / "model.npz").write_bytes(payload)
    (tmp / "metadata.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    target = base / version
    os.rename(tmp, target)  # a version appears whole or not at all
    (base / ".LATEST.tmp").write_text(version + "\n")
    os.replace(base / ".LATEST.tmp", base / "LATEST")
    return target.resolve().as_uri()


def latest_uri(registry=None, name: str = DEFAULT_NAME) -> str:
    base = registry_dir(registry) / name
    try:
        version = (base / "LATEST").read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"no model published under {base}") from None
    return (base / version).resolve().as_uri()


def _path_of(uri: str) -> Path:
    if "://" in uri:
        u = urlparse(uri)
        if u.scheme != "file":
            raise ValueError(f"unsupported model URI scheme {u.scheme!r} (file:// only; docs/model.md)")
        return Path(unquote(u.path))
    return Path(uri)


def read_metadata(uri: str) -> dict:
    return json.loads((_path_of(uri) / "metadata.json").read_text())


def check_metadata(meta: dict, expect: Expectation) -> None:
    """Raise ModelMismatch naming every difference between an artifact and the expectation."""
    problems = []
    if meta.get("format") != expect.format:
        problems.append(f"format {meta.get('format')} != expected {expect.format}")
    if meta.get("feature_version") != expect.feature_version:
        problems.append(f"feature_version {meta.get('feature_version')!r} != expected {expect.feature_version!r}")
    names = tuple(meta.get("feature_names") or ())
    if names != tuple(expect.feature_names):
        missing = [n for n in expect.feature_names if n not in names]
        extra = [n for n in names if n not in expect.feature_names]
        detail = f"missing {missing[:5]}, unexpected {extra[:5]}" if missing or extra else "same names, other order"
        problems.append(f"feature list differs ({detail})")
    if meta.get("sklearn_version") != expect.sklearn_version:
        problems.append(f"scikit-learn {meta.get('sklearn_version')} != expected {expect.sklearn_version}")
    if expect.ruleset_version is not None and meta.get("ruleset_version") != expect.ruleset_version:
        problems.append(f"rule set {meta.get('ruleset_version')!r} != expected {expect.ruleset_version!r}")
    if problems:
        raise ModelMismatch(f"model {meta.get('version')!r} refused: " + "; ".join(problems))


def load_model(uri: str, expect: Expectation | None = None, ruleset=None, reference=None) -> TrainedModel:
    """Load a published model, refusing (ModelMismatch) anything that does not match `expect`
    (default: job_expectation()) or whose arrays were altered. `ruleset` and `reference` are
    the ones the job scores with (default: loaded on first use)."""
    path = _path_of(uri)
    try:
        meta = json.loads((path / "metadata.json").read_text())
        payload = (path / "model.npz").read_bytes()
    except FileNotFoundError as exc:
        raise ModelMismatch(f"not a model artifact: {exc.filename} is missing") from None
    except ValueError as exc:
        raise ModelMismatch(f"model metadata in {path} is not JSON: {exc}") from None
    check_metadata(meta, expect or job_expectation())
    digest = hashlib.sha256(payload).hexdigest()
    if digest != meta.get("artifact_sha256"):
        raise ModelMismatch(f"model {meta.get('version')!r} refused: model.npz sha256 {digest[:12]}... does not "
                            f"match the metadata's {str(meta.get('artifact_sha256'))[:12]}... (altered or corrupt)")
    with np.load(io.BytesIO(payload), allow_pickle=False) as z:
        arrays = {k: z[k] for k in _ARRAYS}
    if arrays["leaf_contrib"].shape[-1] != len(meta["feature_names"]):
        raise ModelMismatch(f"model {meta.get('version')!r} refused: arrays have "
                            f"{arrays['leaf_contrib'].shape[-1]} features, metadata {len(meta['feature_names'])}")
    return TrainedModel(arrays, meta, ruleset, reference)
