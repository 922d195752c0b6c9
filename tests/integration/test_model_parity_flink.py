"""Feature parity through the real PyFlink job: what the job's assessor hands its model, turned
into features, equals the training rows of pipelines/training.py for the same declarations."""
import json

import pytest

from generator.traffic import generate
from pipelines import training
from transforms import topology
from transforms.features import features
from transforms.reference import load_reference
from transforms.rules import load_ruleset


@pytest.mark.timeout(600)
def test_flink_job_and_training_see_the_same_features(tmp_path, monkeypatch):
    from jobs.config import JobConfig
    from jobs.embedded import run_embedded

    generate(tmp_path / "traffic", days=2, seed=31, declarations_per_day=40, rates={"UNDERVALUATION": 0.05})
    record = tmp_path / "scored.jsonl"
    # The job pickles the assessor with its default model into the Python workers.
    monkeypatch.setattr(topology.ASSESSOR, "model", training.FileRecorder(record))
    run_embedded(tmp_path / "traffic", tmp_path / "out", JobConfig())
    rs, ref = load_ruleset(), load_reference()
    seen = {}
    for line in record.read_text().splitlines():
        call = json.loads(line)
        seen[call["decl"]["declaration_id"]] = call
    assessed = training.assess(training.traffic_inputs(tmp_path / "traffic"), rs, ref)
    assert len(seen) > 50 and set(seen) == set(assessed.rows)
    for did, call in seen.items():
        version, row = assessed.rows[did]
        assert call["decl"]["version"] == version
        assert features(call["decl"], call["evidence"], rs, ref) == row, did
