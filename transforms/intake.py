"""Intake: turn one raw message of an input stream into a validated record, or reject it.

Both engines call `decode_input` first; whatever it rejects becomes a dead letter with the
reason, never an exception that stops the job.

Wire formats per stream:
- declarations, manifests, control_results: Avro single-object encoding (schemas.codec);
- container_events: DCSA Track & Trace 2.2 event JSON, as carriers publish it, normalised by
  transforms.dcsa.from_dcsa. Avro single-object messages of the normalised ContainerEvent are
  accepted too (archives and re-published streams carry that form).
"""
from __future__ import annotations

import json

from schemas import codec
from transforms import dcsa, validation
from transforms.state_machine import CONTAINER_EVENT, CONTROL_RESULT, DECLARATION, MANIFEST_LINE

MANIFEST = "manifest"
# stream -> (record kind, field holding the event time)
STREAMS = {
    "declarations": (DECLARATION, "filed_at_ms"),
    "manifests": (MANIFEST, "filed_at_ms"),
    "container_events": (CONTAINER_EVENT, "event_time_ms"),
    "control_results": (CONTROL_RESULT, "controlled_at_ms"),
}

# record kind -> field holding its event time (manifest lines carry their manifest's filed_at_ms)
TIME_FIELD_BY_KIND = {kind: field for kind, field in STREAMS.values()}
TIME_FIELD_BY_KIND[MANIFEST_LINE] = "filed_at_ms"

# Error kinds, as written in dead letters.
DECODE = "DECODE"
VALIDATION = "VALIDATION"
DCSA = "DCSA"
LATE = "LATE"  # accepted, but after the decision it could have changed (transforms.ledger)
CONTROL = "CONTROL"  # a rule-set or model update that cannot be applied
EXPECTATION = "EXPECTATION"  # breaks the stream's data contract (transforms.expectations)
UNKNOWN_STREAM = "UNKNOWN_STREAM"


class RejectedInput(ValueError):
    """A message that cannot enter the system; `error_kind` classifies the reason."""

    def __init__(self, error_kind: str, reason: str):
        super().__init__(reason)
        self.error_kind = error_kind
        self.reason = reason


def decode_input(stream: str, payload: bytes) -> tuple[str, dict, int]:
    """Decode and validate one message; returns (kind, record, event_time_ms)."""
    try:
        kind, time_field = STREAMS[stream]
    except KeyError:
        raise RejectedInput(UNKNOWN_STREAM, f"unknown stream {stream!r}") from None
    if stream == "container_events" and not payload.startswith(codec.MAGIC):
        record = _from_dcsa_json(payload)
    else:
        try:
            record = codec.decode(codec.STREAM_SCHEMAS[stream], payload)
        except codec.DecodeError as exc:
            raise RejectedInput(DECODE, str(exc)) from None
    try:
        validation.VALIDATORS[stream](record)
    except validation.ValidationError as exc:
        raise RejectedInput(VALIDATION, str(exc)) from None
    return kind, record, record[time_field]


def _from_dcsa_json(payload: bytes) -> dict:
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        raise RejectedInput(DECODE, f"container_events: not JSON: {type(exc).__name__}: {exc}"[:300]) from None
    try:
        return dcsa.from_dcsa(event)
    except dcsa.DcsaError as exc:
        raise RejectedInput(DCSA, str(exc)) from None


def late_dead_letter(stream: str, record: dict, reason: str, received_at_ms: int) -> dict:
    """The dead letter of an accepted record that came too late to change anything (Step.late):
    the record re-encoded as its stream's Avro single-object message."""
    return dead_letter(stream, codec.encode(codec.STREAM_SCHEMAS[stream], record), RejectedInput(LATE, reason),
                       received_at_ms)


def dead_letter(stream: str, payload: bytes, rejection: RejectedInput, received_at_ms: int) -> dict:
    """The DeadLetter record for a rejected message (schemas/avro/dead_letter.avsc)."""
    return {
        "source_topic": stream,
        "raw": bytes(payload),
        "reason": rejection.reason,
        "error_kind": rejection.error_kind,
        "received_at_ms": received_at_ms,
    }
