"""`borderflow run --assessment-store`: the live job on its embedded default with the Parquet
assessment store attached stores every assessment of the lifecycle (on filing, re-assessed on
timers, before arrival) once. (The store took the records' stream timestamps as its rowtime, and
the job failed as soon as the lifecycle re-assessed on timers; the store's own test job never ran
the checks.) In a process of its own, as a user runs it: the store's jars must be on the class path
of a JVM that starts with the job."""
import subprocess
import sys

from generator.traffic import generate
from pipelines.assessment_store import read_assessments
from schemas import codec


def test_every_assessment_of_the_run_is_in_the_store_once(tmp_path):
    generate(tmp_path / "traffic", days=1, seed=3, declarations_per_day=150)
    run = subprocess.run([sys.executable, "-m", "borderflow.cli", "run", "--input", str(tmp_path / "traffic"),
                          "--out", str(tmp_path / "out"), "--assessment-store", str(tmp_path / "store")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    emitted = list(codec.read_avro_file(tmp_path / "out" / "assessments.avro"))
    stored = read_assessments(tmp_path / "store")
    assert {a["phase"] for a in emitted} >= {"PRE_LOADING", "PRE_ARRIVAL"}
    assert sorted(a["assessment_id"] for a in stored) == sorted(a["assessment_id"] for a in emitted)
    by_id = {a["assessment_id"]: a for a in emitted}
    assert all(a["outcome"] == by_id[a["assessment_id"]]["outcome"] for a in stored)
