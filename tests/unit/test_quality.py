"""pipelines/quality.py: the suites run in Great Expectations agree with the batch evaluator, Data
Docs are written, drift statistics, the archive report, and the replay's dead letters."""
import json
import random
from pathlib import Path

import pytest

from pipelines import quality
from schemas import codec
from schemas.expectations import STREAMS
from transforms.expectations import expectation_failures

from tests.unit.fixtures import records as R
from tests.unit.test_expectations import GOOD, MUTATIONS


def _mixed_batch(stream, seed=0):
    """Good records of a stream with every mutation of that stream planted once, in random order."""
    rng = random.Random(seed)
    batch = []
    for i, (s, mutate, _) in enumerate([m for m in MUTATIONS if m[0] == stream] + [(stream, None, None)] * 5):
        rec = GOOD[stream]()
        rec.update({"declarations": {"declaration_id": f"D{i}"}, "manifests": {"filed_at_ms": R.T0 + i},
                    "container_events": {"event_id": f"e{i}"}, "control_results": {"controlled_at_ms": R.T0 + i}}[stream])
        batch.append(mutate(rec) if mutate else rec)
    batch.append(batch[-1])  # and a duplicate
    rng.shuffle(batch)
    return batch


@pytest.fixture(scope="module")
def ge(tmp_path_factory):
    return quality.QualityContext(docs_dir=tmp_path_factory.mktemp("docs"))


@pytest.mark.parametrize("stream", STREAMS)
def test_great_expectations_and_the_batch_evaluator_fail_the_same_records(ge, stream):
    batch = _mixed_batch(stream)
    fast = expectation_failures(stream, batch)
    ge_failures, result = ge.validate(stream, batch, batch="mixed")
    assert not result.success
    assert {(i, n) for i, n, _ in ge_failures} == {(i, n) for i, n, _ in fast}
    assert len({i for i, _, _ in fast}) >= 3


def test_data_docs_are_html_a_person_can_open(ge):
    ge.validate("control_results", [R.control_result()], batch="one")
    index = ge.build_data_docs()
    html = index.read_text()
    assert index.name == "index.html" and "<html" in html.lower()
    pages = list(index.parent.rglob("*.html"))
    assert any("validations" in str(p) for p in pages)
    assert any("control_results" in p.read_text() for p in pages if "validations" in str(p))


def test_psi_and_ks_flag_a_shift_and_not_the_same_distribution():
    rng = random.Random(1)
    ref = [rng.lognormvariate(8, 1) for _ in range(3000)]
    same = [rng.lognormvariate(8, 1) for _ in range(1000)]
    shifted = [v * 3 for v in same]
    assert quality.psi_continuous(ref, same) < quality.PSI_MODERATE
    assert quality.psi_continuous(ref, shifted) > quality.PSI_SIGNIFICANT
    assert quality.ks_statistic(ref, shifted)[0] > 0.3 > quality.ks_statistic(ref, same)[0]
    cats = ["CN"] * 60 + ["TR"] * 30 + ["US"] * 10
    assert quality.psi_categorical(cats, cats) == pytest.approx(0.0, abs=1e-9)
    assert quality.psi_categorical(cats, ["VN"] * 50 + ["CN"] * 50) > quality.PSI_SIGNIFICANT


def _day_of_declarations(day_ms, n, value_factor=1.0, seed=0):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        value = rng.lognormvariate(9, 1) * value_factor
        out.append(R.declaration(declaration_id=f"D{day_ms}-{i}", filed_at_ms=day_ms + 3_600_000 + i,
                                 goods=[R.goods_item(value=value, gross_mass_kg=rng.lognormvariate(6, 1))]))
    return out


def test_quality_report_per_stream_and_day_with_drift(tmp_path):
    from pipelines.archive import archive_records, day_start_ms

    days = [day_start_ms(d) for d in ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-10")]
    pairs = []
    for n, day in enumerate(days):
        factor = 4.0 if n == 3 else 1.0  # a day after the reference week, its values 4x
        pairs += [("declarations", d) for d in _day_of_declarations(day, 400, factor, seed=n)]
    # the reference week before them, and a day with one declaration: a PSI of several, not drift
    pairs += [("declarations", d) for d in _day_of_declarations(day_start_ms("2026-10-26"), 400, seed=9)]
    pairs += [("declarations", d) for d in _day_of_declarations(day_start_ms("2026-11-11"), 1, 4.0, seed=10)]
    bad = R.declaration(declaration_id="BAD", filed_at_ms=days[1] + 5, consignor=R.party("Ac\u202eme", "CN"))
    pairs.append(("declarations", bad))
    pairs += [("container_events", R.container_event(event_id=f"e{i}", event_time_ms=days[0] + i,
                                                     event_created_ms=days[0] + i + 1000)) for i in range(20)]
    archive_records(pairs, tmp_path / "archive")
    report = quality.quality_report(tmp_path / "archive", tmp_path / "q", reference_week="2026-10-26", data_docs=False)
    q = report["quality"]["declarations"]
    assert q["2026-11-03"]["failed_records"] == 1 and q["2026-11-02"]["failed_records"] == 0
    assert q["2026-11-03"]["failures_by_expectation"] == {"declarations.consignor_name.invisible_characters": 1}
    assert report["quality"]["container_events"]["2026-11-02"] == {"records": 20, "failed_records": 0,
                                                                  "failures_by_expectation": {}}
    assert report["drift"]["2026-11-10"]["value"]["level"] == "significant"
    assert report["drift"]["2026-11-03"]["value"]["level"] == "stable"
    assert report["drift"]["2026-11-10"]["gross_mass_kg"]["level"] == "stable"
    assert report["drift"]["2026-11-11"]["value"]["psi"] > quality.PSI_SIGNIFICANT
    assert report["drift"]["2026-11-11"]["value"]["level"] == "too few"
    assert set(report["drift"]) == {"2026-11-02", "2026-11-03", "2026-11-04", "2026-11-10", "2026-11-11"}
    for name in ("quality.md", "quality.json", "failures_per_day.png", "drift_psi.png", "distributions.png"):
        assert (tmp_path / "q" / name).stat().st_size > 0, name
    md = (tmp_path / "q" / "quality.md").read_text()
    assert "value (significant)" in md and "![drift_psi.png](drift_psi.png)" in md
    assert "value (significant)" not in md.split("| 2026-11-11 |")[1].split("\n")[0]
    assert json.loads((tmp_path / "q" / "quality.json").read_text())["days"][0] == "2026-10-26"
    # by default the reference is the archive's first week, and its days are not compared with it
    default = quality.quality_report(tmp_path / "archive", tmp_path / "q2", data_docs=False)
    assert default["reference_week"] == ["2026-10-26", "2026-11-01"] and default["drift"] == report["drift"]
    # reporting from a day: the week before it is the reference, never the days compared
    later = quality.quality_report(tmp_path / "archive", tmp_path / "q3", day_from="2026-11-10", data_docs=False)
    assert later["reference_week"] == ["2026-11-03", "2026-11-09"] and set(later["drift"]) == {"2026-11-10", "2026-11-11"}


def test_a_damaged_part_file_is_reported_and_the_rest_read(tmp_path):
    from pipelines.archive import archive_files, archive_records, day_start_ms

    pairs = [("declarations", d) for day in ("2026-11-02", "2026-11-03")
             for d in _day_of_declarations(day_start_ms(day), 200)]
    archive_records(pairs, tmp_path / "archive")
    part = archive_files(tmp_path / "archive", "2026-11-03", "2026-11-03", ["declarations"])[0].path
    Path(part).write_bytes(Path(part).read_bytes()[:-200])  # a part file cut short
    report = quality.quality_report(tmp_path / "archive", tmp_path / "q", data_docs=False)
    assert report["quality"]["declarations"]["2026-11-02"]["records"] == 200
    [(what, _)] = report["unreadable"].items()
    assert what.startswith(f"{part}: unreadable from byte ")
    assert part in (tmp_path / "q" / "quality.md").read_text()


def test_replay_sends_contract_failures_to_dead_letters(tmp_path):
    """A replay's part files are batches: records failing an expectation leave the replay as dead
    letters naming the expectation; the others are assessed as before."""
    from pipelines.archive import archive_records, day_start_ms
    from pipelines.replay import run_replay

    day = day_start_ms("2026-11-02")
    good = [R.declaration(declaration_id=f"D{i}", house_document=f"H{i}", filed_at_ms=day + 3_600_000 * (i + 1))
            for i in range(5)]
    bad = [
        R.declaration(declaration_id="BIDI", house_document="HB", filed_at_ms=day + 60_000,
                      consignor=R.party("Acme\u202eTrading", "CN")),
        R.declaration(declaration_id="HEAVY", house_document="HH", filed_at_ms=day + 120_000,
                      goods=[R.goods_item(gross_mass_kg=5e12)]),
    ]
    dup = dict(good[0])
    archive_records([("declarations", d) for d in good + bad + [dup]], tmp_path / "archive")
    summary = run_replay(tmp_path / "archive", "2026-11-02", "2026-11-02", tmp_path / "out")
    letters = list(codec.read_avro_file(tmp_path / "out" / "dead_letters.avro"))
    assert len(letters) == 3 and {d["error_kind"] for d in letters} == {"EXPECTATION"}
    reasons = {codec.decode("Declaration", d["raw"])["declaration_id"]: d["reason"] for d in letters}
    assert "declarations.consignor_name.invisible_characters" in reasons["BIDI"]
    assert "declarations.gross_mass_kg.range" in reasons["HEAVY"]
    assert "declarations.duplicate_of.unique" in reasons["D0"]
    assessed = {a["declaration_id"] for a in codec.read_avro_file(tmp_path / "out" / "assessments.avro")}
    assert assessed == {f"D{i}" for i in range(5)}
    assert summary["replay"]["dead_letters"] == {"EXPECTATION": 3}
    assert summary["replay"]["expectations_failed"]["declarations.gross_mass_kg.range"] == 1
