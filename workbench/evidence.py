"""What a case shows besides its assessments: the declaration's versions, the manifest lines for its
house document, the events of its containers and the control results recorded for it.

They come from a traffic directory (`borderflow generate`; `make run` keeps one in out/run/traffic)
and, on the live stack, from the input topics themselves: a background reader consumes
declarations, manifests, container-events and control-results from the beginning
(read_committed) and keeps indexing them as they arrive. Mode and port for the queue come from here
as a small Arrow table (one row per declaration: its latest version).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from pathlib import Path

import pyarrow as pa

from schemas import codec
from transforms.dcsa import DcsaError, from_dcsa

log = logging.getLogger("borderflow.workbench")

TOPIC_STREAMS = {"declarations": "declarations", "manifests": "manifests",
                 "container-events": "container_events", "control-results": "control_results"}


class Evidence:
    """Indexes of declarations, manifest lines, container events and control results."""

    def __init__(self):
        self._lock = threading.Lock()
        self.declarations: dict[str, list[dict]] = defaultdict(list)   # declaration_id -> versions
        self.manifest_lines: dict[str, list[dict]] = defaultdict(list)  # house_document -> lines (+ manifest)
        self.container_events: dict[str, list[dict]] = defaultdict(list)  # container -> events
        self.control_results: dict[str, list[dict]] = defaultdict(list)  # declaration_id -> results
        self._entities: pa.Table | None = None
        self.version = 0  # bumps on every change (caches key on it)
        self.sources: list[str] = []

    # --- intake ------------------------------------------------------------------------------
    def add(self, stream: str, record: dict) -> None:
        with self._lock:
            if stream == "declarations":
                versions = self.declarations[record["declaration_id"]]
                if all(v["version"] != record["version"] for v in versions):
                    versions.append(record)
                    versions.sort(key=lambda v: v["version"])
            elif stream == "manifests":
                header = {k: v for k, v in record.items() if k != "lines"}
                for line in record["lines"]:
                    self.manifest_lines[line["house_document"]].append({**line, "manifest": header})
            elif stream == "container_events":
                if record.get("equipment_reference"):
                    self.container_events[record["equipment_reference"]].append(record)
            elif stream == "control_results":
                results = self.control_results[record["declaration_id"]]
                if record not in results:  # the workbench reads back what it published
                    results.append(record)
            else:
                raise ValueError(f"unknown stream {stream!r}")
            self._entities = None
            self.version += 1

    def add_payload(self, stream: str, payload: bytes) -> bool:
        """A message as it travels (Avro single-object, or DCSA JSON); False if it does not decode
        (the job dead-letters those; the workbench just skips them)."""
        try:
            if stream == "container_events":
                record = from_dcsa(json.loads(payload))
            else:
                record = codec.decode(codec.STREAM_SCHEMAS[stream], payload)
        except (ValueError, DcsaError, codec.DecodeError):
            return False
        self.add(stream, record)
        return True

    def load_traffic(self, traffic_dir: str | Path) -> None:
        """Every record of a traffic directory: one `<stream>.avro` per input stream
        (generator/traffic.py; container events there already normalised from DCSA)."""
        traffic_dir = Path(traffic_dir)
        for stream in codec.STREAM_SCHEMAS:
            path = traffic_dir / f"{stream}.avro"
            if path.exists():
                for record in codec.read_avro_file(path):
                    self.add(stream, record)
        self.sources.append(f"traffic {traffic_dir}")

    # --- the views' data ---------------------------------------------------------------------
    def closed(self) -> set[str]:
        """Declarations with a control result: their alerts are handled."""
        with self._lock:
            return {d for d, results in self.control_results.items() if results}

    def entities(self) -> pa.Table:
        """declaration_id, mode, port (place of unloading) of each declaration's latest version."""
        with self._lock:
            if self._entities is None:
                ids, modes, ports = [], [], []
                for did, versions in self.declarations.items():
                    latest = versions[-1]
                    ids.append(did)
                    modes.append(latest["transport_mode"])
                    ports.append(latest["place_of_unloading"])
                self._entities = pa.table({"declaration_id": pa.array(ids, pa.string()),
                                           "mode": pa.array(modes, pa.string()),
                                           "port": pa.array(ports, pa.string())})
            return self._entities

    def case(self, declaration_id: str | None, house_document: str | None) -> dict:
        """A case's evidence: declaration versions, manifest lines, container events, results."""
        with self._lock:
            versions = list(self.declarations.get(declaration_id, ())) if declaration_id else []
            houses = {v["house_document"] for v in versions} | ({house_document} if house_document else set())
            lines = [line for h in sorted(houses) for line in self.manifest_lines.get(h, ())]
            containers = sorted({c for v in versions for c in v["containers"]}
                                | {line["container"] for line in lines if line.get("container")})
            events = sorted((e for c in containers for e in self.container_events.get(c, ())),
                            key=lambda e: (e["event_time_ms"], e["event_id"]))
            results = list(self.control_results.get(declaration_id, ())) if declaration_id else []
        return {"versions": versions, "manifest_lines": lines, "containers": containers,
                "container_events": events, "control_results": results}


class TopicReader(threading.Thread):
    """Keeps an Evidence current from the cluster's topics (from the beginning, read_committed)."""

    def __init__(self, evidence: Evidence, bootstrap_servers: str, extra_config: dict | None = None):
        super().__init__(name="workbench-topics", daemon=True)
        self.evidence, self.bootstrap_servers = evidence, bootstrap_servers
        self.extra_config = extra_config or {}
        self.stopped = threading.Event()
        self.caught_up = threading.Event()  # set once the topics' current ends are read
        self.error: str | None = None
        self.messages = 0

    def run(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

        from jobs import kafka_security

        consumer = Consumer({"bootstrap.servers": self.bootstrap_servers, "group.id": "borderflow-workbench",
                             "enable.auto.commit": False, "isolation.level": "read_committed",
                             "enable.partition.eof": True,
                             **kafka_security.from_environment().librdkafka_properties(), **self.extra_config})
        try:
            metadata = consumer.list_topics(timeout=15)
            partitions = [TopicPartition(t, p, OFFSET_BEGINNING) for t in TOPIC_STREAMS if t in metadata.topics
                          for p in metadata.topics[t].partitions]
            consumer.assign(partitions)
            pending = {(tp.topic, tp.partition) for tp in partitions}
            if not pending:
                self.caught_up.set()
            while not self.stopped.is_set():
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == -191:  # _PARTITION_EOF
                        pending.discard((msg.topic(), msg.partition()))
                        if not pending:
                            self.caught_up.set()
                    else:
                        self.error = msg.error().str()
                    continue
                self.error = None
                self.evidence.add_payload(TOPIC_STREAMS[msg.topic()], msg.value())
                self.messages += 1
        except KafkaException as exc:
            self.error = str(exc)
            log.warning("topic reader stopped: %s", exc)
        finally:
            consumer.close()

    def stop(self) -> None:
        self.stopped.set()


def wait_until(condition, timeout_s: float, interval_s: float = 0.1) -> bool:
    """Polls `condition` until true or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return condition()
