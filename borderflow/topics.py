"""Kafka topic bookkeeping for runs against the live stack: end offsets, starting a consumer group
at given offsets, creating a scratch topic, reading a range of a topic back.

A job that reads with a fresh group from its committed offsets starts exactly where a run's traffic
begins if the group's offsets are committed at the topics' current ends before the traffic is
published (what `kafka-consumer-groups --reset-offsets --to-latest` does).
"""
from __future__ import annotations

import time
import uuid

from jobs import kafka_security

INPUT_TOPICS = ("declarations", "manifests", "container-events", "control-results")


def _consumer(bootstrap: str, **config):
    from confluent_kafka import Consumer

    return Consumer({"bootstrap.servers": bootstrap, "group.id": f"borderflow-offsets-{uuid.uuid4().hex}",
                     "enable.auto.commit": False, **kafka_security.from_environment().librdkafka_properties(),
                     **config})


def partitions(bootstrap: str, topic: str) -> list[int]:
    consumer = _consumer(bootstrap)
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        if meta.error is not None:
            raise RuntimeError(f"topic {topic}: {meta.error}")
        return sorted(meta.partitions)
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """partition -> offset of the next record to be written (the high watermark)."""
    from confluent_kafka import TopicPartition

    consumer = _consumer(bootstrap)
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in sorted(parts)}
    finally:
        consumer.close()


def commit_group_offsets(bootstrap: str, group: str, offsets: dict[str, dict[int, int]]) -> None:
    """Commit topic -> partition -> offset for `group` (the group must have no active members)."""
    from confluent_kafka import TopicPartition

    consumer = _consumer(bootstrap, **{"group.id": group})
    try:
        consumer.commit(offsets=[TopicPartition(t, p, o) for t, parts in offsets.items() for p, o in parts.items()],
                        asynchronous=False)
    finally:
        consumer.close()


def start_group_at_ends(bootstrap: str, group: str, topics=INPUT_TOPICS) -> dict[str, dict[int, int]]:
    """Commit `group` at the current ends of `topics`: a job reading with it sees only what is
    published from now on. Returns the offsets committed."""
    ends = {t: end_offsets(bootstrap, t) for t in topics}
    commit_group_offsets(bootstrap, group, ends)
    return ends


def ensure_topic(bootstrap: str, topic: str, num_partitions: int) -> None:
    """Create `topic` if it is missing (the stack turns auto-creation off)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, **kafka_security.from_environment().librdkafka_properties()})
    if topic in admin.list_topics(timeout=10).topics:
        return
    future = admin.create_topics([NewTopic(topic, num_partitions=num_partitions, replication_factor=1)])[topic]
    try:
        future.result(timeout=30)
    except Exception as exc:  # a concurrent creation is fine
        if "TOPIC_ALREADY_EXISTS" not in str(exc):
            raise


def read_range(bootstrap: str, topic: str, start: dict[int, int], isolation: str = "read_committed",
               timeout_s: float = 60, extra_config: dict | None = None) -> list:
    """Every record (confluent_kafka Message) from `start` to the end of each partition as of the
    call. Transaction markers take offsets but are never delivered, so the loop trusts the
    consumer's position rather than counting records. `extra_config`: librdkafka settings that win
    over the defaults and the BF_KAFKA_* security settings (e.g. another listener's)."""
    from confluent_kafka import TopicPartition

    consumer = _consumer(bootstrap, **{"isolation.level": isolation, **(extra_config or {})})
    try:
        consumer.assign([TopicPartition(topic, p, off) for p, off in start.items()])
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in start}
        positions, records = dict(start), []
        deadline = time.monotonic() + timeout_s
        while any(positions[p] < ends[p] for p in start):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: read to {positions} of {ends} in {timeout_s:.0f} s")
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                for tp in consumer.position([TopicPartition(topic, p) for p in start]):
                    if tp.offset >= 0:
                        positions[tp.partition] = tp.offset
                continue
            positions[msg.partition()] = msg.offset() + 1
            records.append(msg)
        return records
    finally:
        consumer.close()
