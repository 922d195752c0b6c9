"""The rule-set pages' data: the versions known (packaged, examples, the rule-sets topic, those
deciding the store's assessments), which is in effect, a diff of two, backtests run in the
background (pipelines.backtest over an archive) and publishing (borderflow.produce.publish_update).
"""
from __future__ import annotations

import difflib
import logging
import threading
import time
import uuid
from pathlib import Path

import yaml

from pipelines.rulesets import merged_dict
from transforms import control
from transforms.rules import RuleSetError, ruleset_from_dict

log = logging.getLogger("borderflow.workbench")
ROOT = Path(__file__).resolve().parent.parent
RULESET_DIRS = (ROOT / "transforms" / "rulesets", ROOT / "pipelines" / "examples")


def ruleset_files(extra_dirs=()) -> dict[str, dict]:
    """version -> {version, path, source} for every rule-set file (or overlay) that loads."""
    out = {}
    for folder in (*RULESET_DIRS, *map(Path, extra_dirs)):
        for path in sorted(folder.glob("*.y*ml")):
            try:
                body = merged_dict(path)
                version = ruleset_from_dict(body, source=str(path)).version
            except (RuleSetError, ValueError, OSError) as exc:
                log.warning("rule set %s skipped: %s", path.name, exc)
                continue
            out.setdefault(version, {"version": version, "path": str(path), "source": "file", "body": body})
    return out


def topic_versions(bootstrap_servers: str, timeout_s: float = 5.0) -> list[dict]:
    """Rule-set updates on the compacted rule-sets topic (transforms.control), oldest first."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from jobs import kafka_security

    topic = control.TOPIC_OF_KIND[control.RULESET]
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": "borderflow-workbench-rulesets",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         **kafka_security.from_environment().librdkafka_properties()})
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s)
        parts = metadata.topics[topic].partitions if topic in metadata.topics else {}
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)[1] for p in parts}
        todo = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in todo])
        updates, deadline = [], time.monotonic() + timeout_s
        while todo and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                todo.discard(msg.partition())
                continue
            try:
                update = control.decode_update(msg.value())
                if update["kind"] == control.RULESET:
                    updates.append(update)
            except ValueError:
                pass  # the job dead-letters what does not decode
            if msg.offset() + 1 >= ends[msg.partition()]:
                todo.discard(msg.partition())
        return sorted(updates, key=lambda u: (u["effective_from_ms"], u["published_at_ms"]))
    finally:
        consumer.close()


def in_effect(updates: list[dict], now_ms: int) -> str | None:
    """The version the job decides with now: the newest effective at or before now."""
    due = [u for u in updates if u["effective_from_ms"] <= now_ms]
    return max(due, key=lambda u: (u["effective_from_ms"], u["published_at_ms"]))["version"] if due else None


def ruleset_body(update: dict) -> dict:
    """The rule-set dict an update carries (its YAML text)."""
    return yaml.safe_load(update["body"])


def diff(a_version: str, a_body: dict, b_version: str, b_body: dict) -> list[str]:
    """A unified diff of two rule sets as YAML (keys sorted, so only content differs)."""
    a = yaml.safe_dump(a_body, sort_keys=True, allow_unicode=True).splitlines()
    b = yaml.safe_dump(b_body, sort_keys=True, allow_unicode=True).splitlines()
    return list(difflib.unified_diff(a, b, fromfile=a_version, tofile=b_version, lineterm="", n=3))


class Backtests:
    """Backtests run one at a time in a background thread; reports under DATA/backtests/ID/."""

    def __init__(self, data_dir: Path, archive: str | None):
        self.dir = Path(data_dir) / "backtests"
        self.archive = archive
        self.runs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def start(self, user: str, baseline: str, candidate: str, day_from: str, day_to: str) -> dict:
        if not self.archive:
            raise ValueError("backtests need an archive: start the workbench with --archive DIR")
        with self._lock:
            if any(r["state"] == "RUNNING" for r in self.runs.values()):
                raise ValueError("a backtest is already running; wait for it to finish")
            run = {"id": uuid.uuid4().hex[:12], "user": user, "baseline": baseline, "candidate": candidate,
                   "from": day_from, "to": day_to, "state": "RUNNING", "error": None, "started_ms": int(time.time() * 1000)}
            self.runs[run["id"]] = run
        threading.Thread(target=self._run, args=(run,), name="workbench-backtest", daemon=True).start()
        return run

    def _run(self, run: dict) -> None:
        from pipelines.backtest import run_backtest

        out = self.dir / run["id"]
        try:
            stats = run_backtest(self.archive, run["from"], run["to"], run["baseline"], run["candidate"], out)
            run.update(state="DONE", report=str(stats["report"]))
        except Exception as exc:  # the page shows why; the thread must not die silently
            run.update(state="FAILED", error=" ".join(str(exc).split()) or type(exc).__name__)
            log.warning("backtest %s failed: %s", run["id"], type(exc).__name__)

    def get(self, run_id: str) -> dict | None:
        return self.runs.get(run_id)
