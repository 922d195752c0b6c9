"""The model registry: publish, load, and refusal of artifacts the job cannot serve."""
import json
import pickle
import random
from dataclasses import replace

import numpy as np
import pytest

from pipelines import training
from transforms import model as registry
from transforms.features import FEATURE_NAMES
from transforms.model import Expectation, ModelMismatch, job_expectation, load_model


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A model fitted on synthetic rows: label = one evidence flag or a low unit value."""
    rng = np.random.default_rng(3)
    n = 400
    X = np.zeros((n, len(FEATURE_NAMES)))
    X[:, 0] = rng.integers(0, 2, n)
    X[:, FEATURE_NAMES.index("value_log_ratio_min")] = rng.normal(0, 1, n)
    y = ((X[:, 0] == 1) | (X[:, FEATURE_NAMES.index("value_log_ratio_min")] < -1.5)).astype(int)
    ts = training.TrainingSet([f"D{i}" for i in range(n)], X, y, np.ones(n), {"from": "2026-11-02", "to": "2026-11-08"},
                              "none")
    reg = tmp_path_factory.mktemp("registry")
    uri = training.fit_and_publish(ts, reg, "risk", {"n_estimators": 20}, ruleset_version="2026.11-2")
    return reg, uri, ts


def copy_artifact(uri, tmp_path):
    src = registry._path_of(uri)
    dst = tmp_path / "copy"
    dst.mkdir()
    for f in ("model.npz", "metadata.json"):
        (dst / f).write_bytes((src / f).read_bytes())
    return dst


def test_publish_writes_versions_and_metadata(published, tmp_path):
    reg, uri, ts = published
    meta = registry.read_metadata(uri)
    assert meta["version"] == "risk-0001" and registry.latest_uri(reg) == uri
    assert meta["feature_names"] == list(FEATURE_NAMES) and meta["data_hash"] == ts.data_hash()
    assert meta["training_window"] == {"from": "2026-11-02", "to": "2026-11-08"}
    assert meta["sklearn_version"] == registry.sklearn_version() and meta["ruleset_version"] == "2026.11-2"
    assert {"auc", "brier", "rows", "positives"} <= set(meta["metrics"])
    second = training.fit_and_publish(ts, reg, "risk", {"n_estimators": 5})
    assert registry.read_metadata(second)["version"] == "risk-0002" and registry.latest_uri(reg) == second
    m = load_model(uri)
    assert m.version == "risk-0001" and 0.0 <= m.score_vector(ts.X[0]) <= 1.0


def test_loaded_model_survives_pickling(published):
    _, uri, ts = published
    m = load_model(uri)
    m2 = pickle.loads(pickle.dumps(m))
    assert [m2.score_vector(x) for x in ts.X[:20]] == [m.score_vector(x) for x in ts.X[:20]]


@pytest.mark.parametrize("field,value,message", [
    ("feature_names", list(reversed(FEATURE_NAMES)), "feature list differs"),
    ("feature_names", list(FEATURE_NAMES[:-1]), "feature list differs"),
    ("feature_version", "0", "feature_version"),
    ("sklearn_version", "0.24.2", "scikit-learn 0.24.2"),
    ("format", 99, "format 99"),
])
def test_mismatched_metadata_is_refused(published, tmp_path, field, value, message):
    _, uri, _ = published
    art = copy_artifact(uri, tmp_path)
    meta = json.loads((art / "metadata.json").read_text())
    meta[field] = value
    (art / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelMismatch, match=message):
        load_model(str(art))


def test_expectation_mismatch_is_refused(published):
    _, uri, _ = published
    with pytest.raises(ModelMismatch, match="feature list"):
        load_model(uri, expect=replace(job_expectation(), feature_names=FEATURE_NAMES + ("new_feature",)))
    with pytest.raises(ModelMismatch, match="rule set"):
        load_model(uri, expect=Expectation(ruleset_version="2027.01-1"))
    assert load_model(uri, expect=Expectation(ruleset_version="2026.11-2")).version == "risk-0001"


def test_tampered_arrays_are_refused(published, tmp_path):
    _, uri, _ = published
    art = copy_artifact(uri, tmp_path)
    blob = bytearray((art / "model.npz").read_bytes())
    i = random.Random(0).randrange(len(blob) // 2, len(blob) - 1)
    blob[i] ^= 0x01
    (art / "model.npz").write_bytes(bytes(blob))
    with pytest.raises(ModelMismatch, match="sha256"):
        load_model(str(art))


def test_missing_or_broken_artifacts_are_refused(tmp_path):
    with pytest.raises(ModelMismatch, match="missing"):
        load_model(str(tmp_path))
    (tmp_path / "metadata.json").write_text("{not json")
    (tmp_path / "model.npz").write_bytes(b"")
    with pytest.raises(ModelMismatch, match="not JSON"):
        load_model(tmp_path.as_uri())
    with pytest.raises(ValueError, match="scheme"):
        load_model("s3://bucket/models/risk/risk-0001")
    with pytest.raises(FileNotFoundError):
        registry.latest_uri(tmp_path / "empty")


def test_too_few_labels_is_a_clear_error():
    X = np.zeros((3, len(FEATURE_NAMES)))
    with pytest.raises(ValueError, match="too few labels"):
        training.fit(X, np.array([1, 0, 0]), np.ones(3))
