"""`borderflow produce` and `borderflow publish` end an error they expect (the broker refusing the
client, bad BF_KAFKA_* settings, a bad rule set) like the other commands: one line
`borderflow COMMAND: reason` on stderr and exit code 2, no traceback. No broker needed."""
from __future__ import annotations

from pathlib import Path

from borderflow import produce as produce_module
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
