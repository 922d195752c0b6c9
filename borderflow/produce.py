"""Publish a traffic directory to the input topics, as the traders' and carriers' systems would.

Messages go out in event-time order, with the event time as the Kafka record timestamp, in each stream's wire format (jobs.sources), keyed so that
everything about one object lands in one partition in order: declarations and control results
by declaration, manifests by manifest, container events by container.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from jobs import kafka_security
from jobs.sources import timed_traffic_messages, topic_of
from schemas import codec


def message_key(stream: str, payload: bytes) -> bytes | None:
    if stream == "container_events":
        try:
            return (json.loads(payload).get("equipmentReference") or "").encode() or None
        except ValueError:
            return None
    record = codec.decode(codec.STREAM_SCHEMAS[stream], payload)
    key = record.get("declaration_id") or record.get("manifest_id")
    return key.encode() if key else None


class ClientErrors:
    """error_cb of a confluent-kafka client: keeps the errors retrying cannot cure (TLS handshake,
    authentication, fatal), so a misconfigured client fails with the broker's reason (e.g. "SSL
    handshake failed: certificate verify failed", "SASL authentication error") instead of a bare
    delivery timeout. check() raises the first one."""

    def __init__(self):
        self.errors: list[str] = []

    def __call__(self, err) -> None:
        from confluent_kafka import KafkaError

        if err.fatal() or err.code() in (KafkaError._SSL, KafkaError._AUTHENTICATION):
            self.errors.append(err.str())

    def check(self) -> None:
        if self.errors:
            raise RuntimeError(f"Kafka client: {self.errors[0]}")


def _flush(producer, timeout_s: float, errors: ClientErrors) -> int:
    """Flush, failing early on an error in `errors`; returns the messages still queued."""
    deadline = time.monotonic() + timeout_s
    while (left := producer.flush(1)) and time.monotonic() < deadline:
        errors.check()
    errors.check()
    return left


def produce(traffic_dir: str | Path, bootstrap_servers: str, rate: float | None = None,
            progress: bool = True, extra_config: dict | None = None) -> int:
    """Publish every message of a traffic directory; `rate` in messages per second (None: as
    fast as possible). Returns the number acknowledged by the broker; raises if any failed."""
    return produce_messages(timed_traffic_messages(traffic_dir), bootstrap_servers, rate, progress, extra_config)


def produce_messages(messages: list[tuple[int, str, bytes]], bootstrap_servers: str, rate: float | None = None,
                     progress: bool = True, extra_config: dict | None = None, on_delivered=None) -> int:
    """Publish (event_time_ms, stream, payload) messages in order; see produce(). `on_delivered`,
    if given, is called with each acknowledged confluent_kafka Message (latency measurements)."""
    from confluent_kafka import Producer
    from tqdm import tqdm

    errors = ClientErrors()
    producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True,
                         "linger.ms": 20, "compression.type": "lz4", "error_cb": errors,
                         **kafka_security.from_environment().librdkafka_properties(), **(extra_config or {})})
    failures: list[str] = []
    acked = 0

    def on_delivery(err, msg):
        nonlocal acked
        if err is not None:
            failures.append(str(err))
        else:
            acked += 1
            if on_delivered is not None:
                on_delivered(msg)

    started = time.perf_counter()
    for i, (event_time_ms, stream, payload) in enumerate(tqdm(messages, unit="msg", disable=not progress, desc="produce")):
        while True:
            try:
                # The record timestamp is the event time: the job's watermarks are built on it.
                producer.produce(topic_of(stream), value=payload, key=message_key(stream, payload),
                                 timestamp=event_time_ms, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: let deliveries drain
                producer.poll(0.1)
                errors.check()
        producer.poll(0)
        errors.check()
        if rate:
            ahead = (i + 1) / rate - (time.perf_counter() - started)
            if ahead > 0:
                time.sleep(ahead)
    _flush(producer, 60, errors)
    if failures or acked != len(messages):
        raise RuntimeError(f"{len(messages) - acked} of {len(messages)} messages not delivered: {failures[:3]}")
    return acked


def publish_update(update: dict, bootstrap_servers: str, extra_config: dict | None = None) -> None:
    """Publish a rule-set or model version (transforms.control) to its control topic, keyed by
    version (the topics are compacted: every version stays, re-publishing one is a no-op)."""
    from confluent_kafka import Producer

    from transforms import control

    client_errors = ClientErrors()
    producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "error_cb": client_errors,
                         **kafka_security.from_environment().librdkafka_properties(), **(extra_config or {})})
    errors: list[str] = []
    producer.produce(control.TOPIC_OF_KIND[update["kind"]], value=control.encode_update(update),
                     key=update["version"].encode(), timestamp=update["published_at_ms"],
                     on_delivery=lambda err, _msg: err and errors.append(str(err)))
    if _flush(producer, 30, client_errors) or errors:
        raise RuntimeError(f"{update['kind'].lower()} {update['version']} not delivered: {errors or 'timeout'}")
