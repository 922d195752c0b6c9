"""Control results recorded by officers, published to the control-results topic through an outbox.

Recording writes the result to `feedback.jsonl` in the workbench's data folder first (flushed and
fsynced), then a publisher thread sends every undelivered one to the topic and appends a
`delivered` line once the broker has acknowledged it. A broker that is down, or none configured,
leaves results queued; the publisher retries every few seconds, and the pages show what is queued
and the last error. After a restart the file tells what is still to send. Delivery is at least
once: a result whose acknowledgement was lost is sent again (the feedback loop takes a
declaration's results as a set of findings, so a repeat changes nothing).

The topic carries the ControlResult record (schemas/avro/control_result.avsc). The officer's
note is not a field of that schema: it stays with the result in feedback.jsonl, shown on the case.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path

from schemas import codec

log = logging.getLogger("borderflow.workbench")

TOPIC = "control-results"
FINDINGS = ("NO_FINDING", "IRREGULARITY", "SEIZURE")
CONTROL_TYPES = ("DOCUMENTARY", "SCAN", "PHYSICAL")
SEIZURE_CATEGORIES = ("DRUGS", "WEAPONS", "EXPLOSIVES", "COUNTERFEIT", "TOBACCO", "WILDLIFE", "OTHER")
RETRY_S = 3.0


def control_result(declaration_id: str, control_type: str, finding: str, seizure_category: str | None,
                   recovered_amount_eur: float, controlled_at_ms: int) -> dict:
    """A ControlResult record, checked: a bad form value is a ValueError with the field's name."""
    if control_type not in CONTROL_TYPES:
        raise ValueError(f"control type: one of {', '.join(CONTROL_TYPES)}")
    if finding not in FINDINGS:
        raise ValueError(f"finding: one of {', '.join(FINDINGS)}")
    if finding == "SEIZURE":
        if seizure_category not in SEIZURE_CATEGORIES:
            raise ValueError(f"seizure category: one of {', '.join(SEIZURE_CATEGORIES)} for a seizure")
    else:
        seizure_category = None
    if not (recovered_amount_eur >= 0):
        raise ValueError("recovered amount: a number of euro, 0 or more")
    record = {"declaration_id": declaration_id, "control_type": control_type, "finding": finding,
              "seizure_category": seizure_category, "recovered_amount_eur": float(recovered_amount_eur),
              "controlled_at_ms": int(controlled_at_ms)}
    codec.encode("ControlResult", record)  # raises on anything the schema refuses
    return record


class Outbox:
    """Recorded control results and their delivery to the topic."""

    def __init__(self, data_dir: str | Path, bootstrap_servers: str | None, on_recorded=None,
                 extra_config: dict | None = None):
        self.path = Path(data_dir) / "feedback.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.bootstrap_servers = bootstrap_servers
        self.extra_config = extra_config or {}
        self.on_recorded = on_recorded  # called with each ControlResult (closes the alert at once)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self.entries: dict[str, dict] = {}  # id -> {id, user, note, recorded_at_ms, result, delivered_at_ms}
        self.last_error: str | None = None if bootstrap_servers else "no broker configured (--bootstrap-servers)"
        self.last_attempt_ms: int | None = None
        self._load()
        self._thread: threading.Thread | None = None

    def _load(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event["event"] == "recorded":
                self.entries[event["id"]] = {**event["entry"], "delivered_at_ms": None}
            elif event["event"] == "delivered" and event["id"] in self.entries:
                self.entries[event["id"]]["delivered_at_ms"] = event["at_ms"]

    def _append(self, event: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def record(self, user: str, result: dict, note: str) -> dict:
        entry = {"id": uuid.uuid4().hex, "user": user, "note": note, "recorded_at_ms": int(time.time() * 1000),
                 "result": result}
        with self._lock:
            self._append({"event": "recorded", "id": entry["id"], "entry": entry})
            self.entries[entry["id"]] = {**entry, "delivered_at_ms": None}
        if self.on_recorded:
            self.on_recorded(result)
        self._wake.set()
        return self.entries[entry["id"]]

    def pending(self) -> list[dict]:
        with self._lock:
            return [e for e in self.entries.values() if e["delivered_at_ms"] is None]

    def for_declaration(self, declaration_id: str) -> list[dict]:
        with self._lock:
            return sorted((e for e in self.entries.values() if e["result"]["declaration_id"] == declaration_id),
                          key=lambda e: e["recorded_at_ms"])

    # --- the publisher -----------------------------------------------------------------------
    def start(self) -> None:
        if self.bootstrap_servers and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="workbench-outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=15)

    def _run(self) -> None:
        from confluent_kafka import Producer

        from borderflow.produce import ClientErrors
        from jobs import kafka_security

        while not self._stopped.is_set():
            batch = self.pending()
            if batch:
                errors = ClientErrors()
                # A fresh producer per round: a broker that was down is dialled again, and a
                # message that timed out is retried from the outbox, not lost in a client queue.
                producer = Producer({"bootstrap.servers": self.bootstrap_servers, "enable.idempotence": True,
                                     "message.timeout.ms": 8000, "error_cb": errors,
                                     "log_level": 2,  # connection failures: one warning per round below
                                     **kafka_security.from_environment().librdkafka_properties(),
                                     **self.extra_config})
                delivered, failed = [], []
                for entry in batch:
                    result = entry["result"]
                    producer.produce(TOPIC, value=codec.encode("ControlResult", result),
                                     key=result["declaration_id"].encode(), timestamp=result["controlled_at_ms"],
                                     on_delivery=lambda err, _m, i=entry["id"]: (failed if err else delivered).append(
                                         (i, err.str() if err else None)))
                producer.flush(12)
                self.last_attempt_ms = int(time.time() * 1000)
                with self._lock:
                    for entry_id, _ in delivered:
                        at = int(time.time() * 1000)
                        self._append({"event": "delivered", "id": entry_id, "at_ms": at})
                        self.entries[entry_id]["delivered_at_ms"] = at
                undelivered = len(batch) - len(delivered)
                if undelivered:
                    reason = (failed[0][1] if failed else None) or (errors.errors[0] if errors.errors else "timeout")
                    self.last_error = f"{undelivered} not delivered: {reason}"
                    log.warning("outbox: %d control result(s) not delivered, retrying in %.0f s",
                                undelivered, RETRY_S)
                else:
                    self.last_error = None
                    log.info("outbox: %d control result(s) delivered", len(delivered))
                if undelivered:
                    self._stopped.wait(RETRY_S)
                    continue
            self._wake.wait(RETRY_S)
            self._wake.clear()
