"""The health page's data: the Flink jobs and their state, consumer lag on the input topics, dead
letters today, and links to the Flink dashboard and Grafana. Each probe reports its own error
instead of failing the page (a stopped cluster is a state the page must show)."""
from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

DAY_MS = 86_400_000
INPUT_TOPICS = ("declarations", "manifests", "container-events", "control-results")


def flink_jobs(rest_url: str) -> dict:
    try:
        with urllib.request.urlopen(rest_url.rstrip("/") + "/jobs/overview", timeout=3) as r:
            jobs = json.load(r)["jobs"]
        return {"jobs": [{"id": j["jid"], "name": j["name"], "state": j["state"],
                          "started_ms": j.get("start-time")} for j in jobs], "error": None}
    except (OSError, ValueError, KeyError) as exc:
        return {"jobs": [], "error": f"Flink REST at {rest_url}: {exc}"}


def kafka_health(bootstrap_servers: str, group_id: str = "borderflow-live", now_ms: int | None = None,
                 extra_config: dict | None = None) -> dict:
    """Lag of the live job's consumer group per input topic, and dead letters since midnight UTC."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    from jobs import kafka_security

    now_ms = now_ms or int(time.time() * 1000)
    conf = {"bootstrap.servers": bootstrap_servers, "group.id": group_id, "enable.auto.commit": False,
            **kafka_security.from_environment().librdkafka_properties(), **(extra_config or {})}
    consumer = Consumer(conf)
    try:
        metadata = consumer.list_topics(timeout=5)
        lag = {}
        for topic in INPUT_TOPICS:
            if topic not in metadata.topics:
                continue
            parts = [TopicPartition(topic, p) for p in metadata.topics[topic].partitions]
            committed = consumer.committed(parts, timeout=5)
            total, known = 0, False
            for tp in committed:
                _, high = consumer.get_watermark_offsets(tp, timeout=5)
                if tp.offset >= 0:
                    total += max(0, high - tp.offset)
                    known = True
            lag[topic] = total if known else None  # None: the group has committed nothing there
        dead_today = None
        if "dead-letters" in metadata.topics:
            midnight = now_ms - now_ms % DAY_MS
            parts = [TopicPartition("dead-letters", p, midnight) for p in metadata.topics["dead-letters"].partitions]
            dead_today = 0
            for tp in consumer.offsets_for_times(parts, timeout=5):
                _, high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=5)
                dead_today += max(0, high - tp.offset) if tp.offset >= 0 else 0
        return {"lag": lag, "dead_letters_today": dead_today, "error": None}
    except KafkaException as exc:
        return {"lag": {}, "dead_letters_today": None, "error": f"Kafka at {bootstrap_servers}: {exc}"}
    finally:
        consumer.close()


def run_folder_health(path: Path) -> dict:
    """An embedded run's own figures (summary.json): dead letters of the run."""
    summary_file = Path(path) / "summary.json"
    if not summary_file.exists():
        return {}
    summary = json.loads(summary_file.read_text())
    dead = summary.get("dead_letters")
    return {"dead_letters_run": dead.get("total") if isinstance(dead, dict) else dead}
