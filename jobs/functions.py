"""Flink operators: thin adapters that run the engine-free logic of transforms/.

Each function here only moves records, state and timers between Flink and a transforms/
object; none of them decides anything about risk.
"""
from __future__ import annotations

import base64
import time

from pyflink.common import Types
from pyflink.datastream import OutputTag
from pyflink.datastream.functions import FlatMapFunction, KeyedProcessFunction, MapFunction, ProcessFunction
from pyflink.datastream.state import StateTtlConfig, ValueStateDescriptor
from pyflink.common.time import Time

from schemas import codec
from transforms import intake
from transforms.rules import load_ruleset
from transforms.reference import load_reference
from transforms.state_machine import Context

DEAD_LETTERS = OutputTag("dead-letters", Types.PICKLED_BYTE_ARRAY())


def _now_ms() -> int:
    return int(time.time() * 1000)


class DecodeAndValidate(ProcessFunction):
    """(stream, bytes) -> (kind, record); rejects go to the dead-letter side output."""

    def open(self, runtime_context):
        group = runtime_context.get_metrics_group()
        self._in = {s: group.add_group("stream", s).counter("eventsIn") for s in intake.STREAMS}
        self._dead = group.counter("deadLetters")

    def process_element(self, value, ctx):
        stream, payload = value
        payload = bytes(payload)
        counter = self._in.get(stream)
        if counter is not None:
            counter.inc()
        try:
            kind, record, _ = intake.decode_input(stream, payload)
        except intake.RejectedInput as rejection:
            self._dead.inc()
            yield DEAD_LETTERS, intake.dead_letter(stream, payload, rejection, _now_ms())
            return
        yield kind, record


class RouteToCheck(FlatMapFunction):
    """(kind, record) -> (key, kind, record) for every key the check wants to see it under."""

    def __init__(self, check):
        self._check = check

    def flat_map(self, value):
        kind, record = value
        for key in self._check.key_of(kind, record):
            yield key, kind, record


class RunKeyedCheck(KeyedProcessFunction):
    """Runs one transforms/ KeyedCheck with Flink keyed state and event-time timers."""

    def __init__(self, check, ruleset_ref: str | None, state_ttl_hours: int | None):
        self._check = check
        self._ruleset_ref = ruleset_ref
        self._ttl_hours = state_ttl_hours

    def open(self, runtime_context):
        descriptor = ValueStateDescriptor("state", Types.PICKLED_BYTE_ARRAY())
        if self._ttl_hours:
            descriptor.enable_time_to_live(
                StateTtlConfig.new_builder(Time.hours(self._ttl_hours))
                .set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build()
            )
        self._state = runtime_context.get_state(descriptor)
        self._ctx = Context(ruleset=load_ruleset(self._ruleset_ref), reference=load_reference(), now_ms=_now_ms)
        self._outputs = runtime_context.get_metrics_group().counter("outputs")

    def _apply(self, step, ctx):
        if step.state is None:
            self._state.clear()
        else:
            self._state.update(step.state)
        for ts in step.timers:
            ctx.timer_service().register_event_time_timer(ts)
        self._outputs.inc(len(step.outputs))
        return step.outputs

    def process_element(self, value, ctx):
        _, kind, record = value
        step = self._check.on_event(self._state.value(), kind, record, self._ctx)
        yield from self._apply(step, ctx)

    def on_timer(self, timestamp, ctx):
        step = self._check.on_timer(self._state.value(), timestamp, self._ctx)
        yield from self._apply(step, ctx)


class EncodeRecord(MapFunction):
    """A record -> base64 of its Avro single-object encoding, one line per record for line sinks."""

    def __init__(self, schema_name: str):
        self._schema_name = schema_name

    def map(self, value):
        return base64.b64encode(codec.encode(self._schema_name, value)).decode("ascii")

