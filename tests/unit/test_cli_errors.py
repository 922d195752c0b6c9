"""Every borderflow command ends an error it expects (a missing or damaged input, a bad or
out-of-range argument, the broker refusing the client, bad BF_KAFKA_* settings, a bad rule set)
in one line `borderflow COMMAND: reason` on stderr and exit code 2, no traceback, before it
writes anything; damaged files are named and the rest read; no command deletes what it did not
write. No broker or cluster needed."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from borderflow import produce as produce_module
from borderflow.cli import build_parser
from borderflow.cli import main as borderflow

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RULESET = ROOT / "transforms" / "rulesets" / "default.yaml"
# what borderflow.produce raises when librdkafka reports a TLS failure (ClientErrors.check)
REFUSED = RuntimeError("Kafka client: ssl://127.0.0.1:29792/bootstrap: SSL handshake failed: error:0A000086:"
                       "SSL routines::certificate verify failed: broker certificate could not be verified")


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"borderflow {command}: "), err
    return lines[0]


def refuse(*_args, **_kwargs):
    raise REFUSED


def test_produce_refused_by_the_broker(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(produce_module, "produce", refuse)
    assert borderflow(["produce", "--input", str(tmp_path), "--bootstrap-servers", "127.0.0.1:9"]) == 2
    assert one_line_error(capsys, "produce") == f"borderflow produce: {REFUSED}"


def test_publish_refused_by_the_broker(monkeypatch, capsys):
    monkeypatch.setattr(produce_module, "publish_update", refuse)
    assert borderflow(["publish", "ruleset", str(DEFAULT_RULESET), "--bootstrap-servers", "127.0.0.1:9"]) == 2
    assert one_line_error(capsys, "publish") == f"borderflow publish: {REFUSED}"


def test_a_multi_line_reason_is_folded_into_one_line(monkeypatch, tmp_path, capsys):
    def not_delivered(*_args, **_kwargs):
        raise RuntimeError("3 of 3 messages not delivered:\n  Local: Message timed out")

    monkeypatch.setattr(produce_module, "produce", not_delivered)
    assert borderflow(["produce", "--input", str(tmp_path), "--bootstrap-servers", "127.0.0.1:9"]) == 2
    assert one_line_error(capsys, "produce") == \
        "borderflow produce: 3 of 3 messages not delivered: Local: Message timed out"


def test_publish_with_bad_security_settings_fails_before_any_connection(monkeypatch, capsys):
    # the real publish_update: kafka_security refuses the settings before a client exists
    monkeypatch.setenv("BF_KAFKA_SECURITY_PROTOCOL", "bogus")
    assert borderflow(["publish", "ruleset", str(DEFAULT_RULESET), "--bootstrap-servers", "127.0.0.1:9"]) == 2
    assert "BF_KAFKA_SECURITY_PROTOCOL='BOGUS'" in one_line_error(capsys, "publish")


def test_publish_of_a_missing_rule_set_file(tmp_path, capsys):
    assert borderflow(["publish", "ruleset", str(tmp_path / "none.yaml"), "--bootstrap-servers", "127.0.0.1:9"]) == 2
    assert "none.yaml" in one_line_error(capsys, "publish")


# --- every subcommand: missing, corrupt and out-of-range input -------------------------------------------
# Each case runs the real command; it must end in one line `borderflow COMMAND: reason` and exit 2
# before doing any work. tests/integration/test_cli_run.py covers what `run` does with damaged traffic.


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from generator.traffic import generate
    from pipelines.archive import write_archive

    base = tmp_path_factory.mktemp("cli-inputs")
    generate(base / "traffic", days=1, seed=3, declarations_per_day=30)
    write_archive(base / "traffic", base / "archive")
    (base / "empty").mkdir()
    (base / "a-file").write_text("not a folder\n")
    damaged = base / "damaged-traffic"
    damaged.mkdir()
    for f in (base / "traffic").iterdir():
        (damaged / f.name).write_bytes(f.read_bytes())
    (damaged / "manifests.avro").write_bytes(os.urandom(3000))  # random bytes: fastavro's MemoryError/EOFError
    store = base / "store" / "day=2026-11-02"
    store.mkdir(parents=True)
    (store / "part-0.parquet").write_bytes(os.urandom(500))
    return base


def _cases(p: Path) -> list[tuple[str, list[str], str]]:
    """(command, argv, a fragment the reason must hold)."""
    missing, empty, afile = str(p / "missing"), str(p / "empty"), str(p / "a-file")
    traffic, archive, out = str(p / "traffic"), str(p / "archive"), str(p / "out" / "x")
    return [
        ("generate", ["generate", "--out", out, "--rate", "SPLIT_SHIPMENT=abc"], "SPLIT_SHIPMENT"),
        ("generate", ["generate", "--out", out, "--rate", "SPLIT_SHIPMENT=1.5"], "between 0 and 1"),
        ("generate", ["generate", "--out", out, "--rate", "FOO=0.1"], "unknown scenario 'FOO'"),
        ("generate", ["generate", "--out", out, "--days", "0"], "--days"),
        ("generate", ["generate", "--out", out, "--declarations-per-day", "-5"], "--declarations-per-day"),
        ("generate", ["generate", "--out", afile], "a-file"),
        ("generate", ["generate"], "--out"),
        ("run", ["run", "--input", missing, "--out", out], "missing"),
        ("run", ["run", "--input", empty, "--out", out], "holds no traffic"),
        ("run", ["run", "--input", traffic, "--out", out, "--ruleset", str(p / "none.yaml")], "none.yaml"),
        ("run", ["run", "--input", traffic, "--out", out, "--ruleset-update", str(p / "none.yaml")], "none.yaml"),
        ("run", ["run", "--input", traffic, "--out", out, "--model", f"file://{missing}"], "missing"),
        ("run", ["run", "--input", traffic, "--out", afile], "a-file"),
        ("run", ["run", "--out", out, "--parallelism", "0"], "--parallelism"),
        ("run", ["run", "--out", out, "--rate", "SPLIT_SHIPMENT=-1"], "between 0 and 1"),
        ("run", ["run", "--out", out, "--days", "0"], "--days"),
        ("archive", ["archive", "--input", missing, "--archive", out], "missing"),
        ("archive", ["archive", "--input", empty, "--archive", out], "holds no traffic"),
        ("replay", ["replay", "--archive", missing, "--from", "2026-11-02", "--to", "2026-11-02", "--out", out],
         "no archive files"),
        ("replay", ["replay", "--archive", archive, "--from", "2026-11-3", "--to", "2026-11-02", "--out", out],
         "--from"),
        ("replay", ["replay", "--archive", archive, "--from", "2026-11-03", "--to", "2026-11-02", "--out", out],
         "before"),
        ("replay", ["replay", "--archive", archive, "--from", "2026-11-02", "--to", "2026-11-02", "--out", out,
                    "--workers", "0"], "--workers"),
        ("backtest", ["backtest", "--archive", missing, "--baseline", "default", "--candidate", "default",
                      "--from", "2026-11-02", "--to", "2026-11-02", "--out", out], "no archive files"),
        ("backtest", ["backtest", "--archive", archive, "--baseline", "default", "--candidate",
                      str(p / "none.yaml"), "--from", "2026-11-02", "--to", "2026-11-02", "--out", out], "none.yaml"),
        ("backtest", ["backtest", "--archive", archive, "--baseline", "default", "--candidate", "default",
                      "--from", "2026-11-02", "--to", "tomorrow", "--out", out], "--to"),
        ("assessments", ["assessments", "--store", missing], "missing"),
        ("assessments", ["assessments", "--store", str(p / "store"), "--summary"], "part-0.parquet"),
        ("assessments", ["assessments", "--store", str(p / "store"), "--limit", "0"], "--limit"),
        ("train", ["train", "--input", missing, "--registry", out], "missing"),
        ("train", ["train", "--input", str(p / "damaged-traffic"), "--registry", out], "manifests.avro"),
        ("train", ["train", "--input", traffic, "--trees", "0"], "--trees"),
        ("evaluate", ["evaluate", "--out", out, "--train-weeks", "0"], "--train-weeks"),
        ("evaluate", ["evaluate", "--out", out, "--rate", "FOO=0.1"], "unknown scenario 'FOO'"),
        ("evaluate", ["evaluate", "--out", out, "--random-share", "2"], "--random-share"),
        ("simulate", ["simulate", "--out", out, "--weeks", "0"], "--weeks"),
        ("simulate", ["simulate", "--out", out, "--weeks", "2", "--top-share", "1.5"], "--top-share"),
        ("simulate", ["simulate", "--out", out, "--weeks", "2", "--new-pattern", "FOO"], "unknown scenario 'FOO'"),
        ("quality", ["quality", "--archive", missing, "--out", out], "no archive partitions"),
        ("quality", ["quality", "--archive", archive, "--out", out, "--reference-week", "last week"],
         "--reference-week"),
        ("infra", ["infra", "sideways"], "invalid choice"),
        ("produce", ["produce", "--input", missing, "--bootstrap-servers", "127.0.0.1:9"], "missing"),
        ("produce", ["produce", "--input", traffic, "--rate", "0"], "--rate"),
        ("submit", ["submit", "--parallelism", "0"], "--parallelism"),
        ("submit", ["submit", "--checkpoint-interval-ms", "-1"], "--checkpoint-interval-ms"),
        ("resume", ["resume"], "--from"),
        ("publish", ["publish", "ruleset", str(DEFAULT_RULESET), "--effective-from", "never"], "never"),
        ("publish", ["publish", "model", f"file://{missing}", "--bootstrap-servers", "127.0.0.1:9"], "missing"),
        ("publish", ["publish", "schema", "x"], "invalid choice"),
        ("savepoint", ["savepoint"], "job_id"),
        ("stop", ["stop"], "job_id"),
        ("workbench", ["workbench", "--store", missing], "missing"),
    ]


def _run(argv, capsys) -> int:
    try:
        return borderflow(argv)
    except SystemExit as exc:  # argparse ends with SystemExit(2) after printing the line
        return exc.code


def test_every_subcommand_has_error_cases(tmp_path):
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    assert set(sub.choices) <= {command for command, _, _ in _cases(tmp_path)}


def test_every_subcommand_ends_bad_input_in_one_line(inputs, capsys):
    failures = []
    for command, argv, fragment in _cases(inputs):
        code = _run(argv, capsys)
        err = capsys.readouterr().err
        lines = err.splitlines()
        if code != 2 or len(lines) != 1 or not lines[0].startswith(f"borderflow {command}: ") or fragment not in err:
            failures.append(f"{' '.join(argv)} -> exit {code}: {err!r}")
        if (inputs / "out").exists():
            failures.append(f"{' '.join(argv)} wrote {inputs / 'out'} before refusing")
            shutil.rmtree(inputs / "out")
    assert not failures, "\n".join(failures)


# --- damaged files: named, and the good records still read ------------------------------------------------

def test_archive_reads_a_damaged_traffic_folder_and_names_the_file(inputs, tmp_path, capsys, caplog):
    from pipelines.archive import write_archive

    assert borderflow(["archive", "--input", str(inputs / "damaged-traffic"), "--archive", str(tmp_path / "a")]) == 0
    captured = capsys.readouterr()
    assert "damaged-traffic/manifests.avro: unreadable from byte 0" in caplog.text  # a warning line
    assert "1 rejected messages not archived (DECODE 1)" in captured.out
    good = write_archive(inputs / "traffic", tmp_path / "good")
    damaged_counts = {s: d for s, d in good["streams"].items() if s != "manifests"}
    assert {s: d for s, d in write_archive(inputs / "damaged-traffic", tmp_path / "b")["streams"].items()} \
        == damaged_counts


def test_replay_and_quality_read_round_a_damaged_part_file(inputs, tmp_path, caplog):
    import shutil

    from pipelines.archive import archive_files
    from schemas import codec

    archive = tmp_path / "archive"
    shutil.copytree(inputs / "archive", archive)
    part = Path(archive_files(archive, "2026-11-02", "2026-11-02", ["manifests"])[0].path)
    part.write_bytes(part.read_bytes()[:-100])  # cut short in its last block
    assert borderflow(["replay", "--archive", str(archive), "--from", "2026-11-02", "--to", "2026-11-02",
                       "--out", str(tmp_path / "replay")]) == 0
    [letter] = [d for d in codec.read_avro_file(tmp_path / "replay" / "dead_letters.avro") if d["error_kind"] == "DECODE"]
    assert letter["reason"].startswith(f"{part}: unreadable from byte ") and letter["source_topic"] == "manifests"
    assert json.loads((tmp_path / "replay" / "summary.json").read_text())["dead_letters_by_reason"]["DECODE"] == 1
    assert borderflow(["quality", "--archive", str(archive), "--out", str(tmp_path / "q"), "--no-data-docs"]) == 0
    assert f"quality: {part}: unreadable from byte" in caplog.text
    assert str(part) in (tmp_path / "q" / "quality.md").read_text()


# --- never deleting what a command did not create ------------------------------------------------------

def test_run_refuses_a_folder_that_is_not_a_previous_runs_output(inputs, tmp_path, capsys):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine\n")
    assert borderflow(["run", "--input", str(inputs / "missing"), "--out", str(keep)]) == 2  # input checked first
    assert borderflow(["run", "--input", str(inputs / "traffic"), "--out", str(keep)]) == 2
    assert "holds files no run wrote (notes.txt)" in capsys.readouterr().err
    assert (keep / "notes.txt").read_text() == "mine\n" and sorted(p.name for p in keep.iterdir()) == ["notes.txt"]


def test_a_previous_runs_outputs_are_replaced_and_nothing_else(tmp_path):
    from borderflow.cli import RUN_OUTPUTS, _clear_previous_run

    out = tmp_path / "run"
    (out / "traffic").mkdir(parents=True)
    (out / "traffic" / "declarations.avro").write_bytes(b"old")
    for name in RUN_OUTPUTS[:4]:
        (out / name).write_bytes(b"old")
    (out / "store" / "day=2026-11-02").mkdir(parents=True)
    _clear_previous_run(out, keep=[], also_ours=[out / "store"])
    assert list(out.iterdir()) == []
    # the traffic a run reads is kept even when it lies in the folder
    (out / "traffic").mkdir()
    (out / "traffic" / "declarations.avro").write_bytes(b"input")
    (out / "summary.json").write_text("{}")
    _clear_previous_run(out, keep=[out / "traffic"], also_ours=[])
    assert [p.name for p in out.iterdir()] == ["traffic"]


def test_generate_and_archive_keep_what_they_did_not_write(inputs, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    assert borderflow(["generate", "--days", "1", "--declarations-per-day", "5", "--out", str(folder)]) == 0
    assert borderflow(["archive", "--input", str(inputs / "traffic"), "--archive", str(folder)]) == 0
    assert borderflow(["quality", "--archive", str(folder), "--out", str(folder), "--no-data-docs"]) == 0
    assert (folder / "notes.txt").read_text() == "mine\n"
