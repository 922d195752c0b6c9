"""The live job on its embedded default with the Parquet assessment store attached: every
assessment of the lifecycle (on filing, re-assessed on timers, before arrival) is stored once. (The store used the records' stream timestamps as its rowtime, and the job
failed as soon as the lifecycle re-assessed on timers; the store's own test job never ran the
checks.)"""
from generator.traffic import generate
from jobs.config import JobConfig
from jobs.embedded import run_embedded
from pipelines.assessment_store import read_assessments
from schemas import codec


def test_every_assessment_of_the_run_is_in_the_store_once(tmp_path):
    generate(tmp_path / "traffic", days=1, seed=3, declarations_per_day=150)
    run_embedded(tmp_path / "traffic", tmp_path / "out", JobConfig(assessment_store=str(tmp_path / "store")))
    emitted = list(codec.read_avro_file(tmp_path / "out" / "assessments.avro"))
    stored = read_assessments(tmp_path / "store")
    assert {a["phase"] for a in emitted} >= {"PRE_LOADING", "PRE_ARRIVAL"}
    assert sorted(a["assessment_id"] for a in stored) == sorted(a["assessment_id"] for a in emitted)
    by_id = {a["assessment_id"]: a for a in emitted}
    assert all(a["outcome"] == by_id[a["assessment_id"]]["outcome"] for a in stored)
