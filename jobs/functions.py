"""Flink operators: thin adapters that run the engine-free logic of transforms/.

Each function here only moves records, state and timers between Flink and a transforms/
object; none of them decides anything about risk.
"""
from __future__ import annotations

import base64
import logging
import marshal
import time
from collections import OrderedDict

from pyflink.common import Row, Types
from pyflink.datastream import OutputTag
from pyflink.datastream.functions import KeyedBroadcastProcessFunction, MapFunction, ProcessFunction
from pyflink.datastream.state import MapStateDescriptor, StateTtlConfig, ValueStateDescriptor
from pyflink.common.time import Time

from jobs import profiling
from jobs.metrics import GROUP, CheckMetrics, IntakeMetrics, LedgerMetrics
from schemas import codec
from transforms import control, expectations, intake, ledger, topology
from transforms.rules import load_ruleset
from transforms.state_machine import EVIDENCE, MANIFEST_LINE
from transforms.reference import load_reference

DEAD_LETTERS = OutputTag("dead-letters", Types.PICKLED_BYTE_ARRAY())
# Broadcast state of every keyed operator: "KIND:version" -> ControlUpdate (transforms.control).
CONTROL_STATE = MapStateDescriptor("control-updates", Types.STRING(), Types.PICKLED_BYTE_ARRAY())


# kind -> field holding a keyed input's event time (evidence: the instant its check decided).
_TIME_FIELD = {**intake.TIME_FIELD_BY_KIND, EVIDENCE: "event_time_ms"}
# Keys whose last written state each keyed operator keeps in Python (RunKeyedCheck._read). Python
# memory outside Flink's accounting: a few KB per key, up to a few hundred KB for a busy consignor.
STATE_CACHE_KEYS = 4_096


def _now_ms() -> int:
    return int(time.time() * 1000)


def encode_state(state):
    """A check's state as Flink keeps it (split_encode's value)."""
    return split_encode(state)[0]


def split_encode(state, rest: bytes | None = None):
    """(the value Flink keeps, the marshal bytes of the state without its inbox, or None).

    The value, inside the PICKLED_BYTE_ARRAY state: marshal bytes of (the state without its inbox,
    as marshal bytes; the inbox). Every changed step writes the key's state, and marshal writes
    PartyBehaviour's history 2.5x faster than pickle (benchmarks/state_traffic.py); a step that
    only held an input (Step.held) passes `rest`, the first part as last written, so holding an
    input in a large state does not encode the rest again. A state marshal cannot write (an
    object of a type it does not know) is kept as the object itself, which PyFlink pickles."""
    try:
        if isinstance(state, dict) and "inbox" in state:
            if rest is None:
                rest = marshal.dumps({k: v for k, v in state.items() if k != "inbox"})
            return marshal.dumps((rest, state["inbox"])), rest
        return marshal.dumps(state), None
    except ValueError:
        return state, None


def split_decode(value):
    """(the state, the marshal bytes of its part without the inbox, or None): encode_state's
    inverse; also reads the states of savepoints written before the split (one marshal dict) and
    before marshal (pickled objects)."""
    if not isinstance(value, bytes):
        return value, None
    state = marshal.loads(value)
    if isinstance(state, tuple):
        rest, inbox = state
        state = marshal.loads(rest)
        state["inbox"] = inbox
        return state, rest
    return state, None


def decode_state(value):
    return split_decode(value)[0]


def _reject(metrics, stream: str, payload: bytes, rejection: intake.RejectedInput):
    """Count a rejected message and make its dead letter for the DEAD_LETTERS side output."""
    metrics.dead_letter(stream, rejection.error_kind, rejection.reason)
    return DEAD_LETTERS, intake.dead_letter(stream, payload, rejection, _now_ms())


# A record routed to a keyed stage: Row(key, (key, kind, record)), keyed in Java (key_by_route).
ROUTED = Types.ROW([Types.STRING(), Types.PICKLED_BYTE_ARRAY()])


def route_tag(stage) -> OutputTag:
    """The side output of DecodeAndRoute that feeds `stage` (a KeyedCheck of transforms.topology)."""
    return OutputTag(f"to-{stage.name}", ROUTED)


def key_by_route(routed):
    """Key a stream of ROUTED rows by their key without the Python map that DataStream.key_by
    adds in front of the shuffle (it would compute a key the row already carries): the same Java
    keyBy that key_by builds after that map, so each record crosses one Python operator less."""
    from pyflink.datastream.data_stream import KeyedStream
    from pyflink.java_gateway import get_gateway

    j_keyed = routed._j_data_stream.keyBy(get_gateway().jvm.KeyByKeySelector(),
                                          Types.ROW([Types.STRING()]).get_java_type_info())
    return KeyedStream(j_keyed, Types.PICKLED_BYTE_ARRAY(), routed)


def side_output_of(stream, tag: OutputTag):
    """A side output as a DataStream, without the identity Python map of get_side_output."""
    from pyflink.datastream import DataStream

    return DataStream(stream._j_data_stream.getSideOutput(tag.get_java_output_tag()))


class DecodeAndRoute(ProcessFunction):
    """Raw messages -> each keyed stage's side output (route_tag), Row(key, (key, kind, record))
    once per key the stage wants the record under; manifests go as their lines. Rejects go to
    the dead-letter side output: undecodable or invalid messages (transforms.intake) and records
    that break the stream's data contract (transforms.expectations, the Great Expectations
    suites evaluated per record).

    One operator from the raw bytes to the shuffles: every Python operator a record crosses
    costs a pickling round trip and a JVM crossing, which dominated the job's time. `stream`
    names the stream of a topic's raw payloads; None takes (event_time_ms, stream, payload)
    triples (CollectionSource; the time is already the record's timestamp)."""

    def __init__(self, stream: str | None, stages):
        self._stream = stream
        self._stages = list(stages)

    def open(self, runtime_context):
        self._metrics = IntakeMetrics(runtime_context.get_metrics_group())
        self._routes = [(stage, route_tag(stage)) for stage in self._stages]
        self._profile = profiling.start()

    def close(self):
        profiling.stop(self._profile, f"Decode{(self._stream or 'messages').title()}")

    def process_element(self, value, ctx):
        stream, payload = (self._stream, value) if self._stream else value[1:]
        payload = bytes(payload)
        metrics = self._metrics
        metrics.event_in(stream)
        try:
            kind, record, _ = intake.decode_input(stream, payload)
            failed = expectations.expectation_failures(stream, [record])
            if failed:
                raise intake.RejectedInput(expectations.EXPECTATION,
                                           expectations.describe_failures([(name, why) for _, name, why in failed]))
        except intake.RejectedInput as rejection:
            yield _reject(metrics, stream, payload, rejection)
            return
        if kind == intake.MANIFEST:
            lines = topology.flatten_manifest(record)
            metrics.ledger.accepted(stream, len(lines))
            items = [(MANIFEST_LINE, line) for line in lines]
        else:
            metrics.ledger.accepted(stream)
            items = [(kind, record)]
        for kind, record in items:
            # No owner (control results: no live check reads them) or no key: settled here.
            lost = ledger.unowned_disposition(kind, record, topology.OWNER_OF_KIND.get(kind))
            if lost:
                metrics.ledger.settle(ledger.STREAM_OF_KIND[kind], {lost: 1})
            for stage, tag in self._routes:
                for key in stage.key_of(kind, record):
                    yield tag, Row(key, (key, kind, record))


class DecodeControl(ProcessFunction):
    """(stream, bytes) of the control topics -> ControlUpdate; every check a bad update can fail
    runs here, once, so a bad one becomes one dead letter and the operators only get good ones."""

    def open(self, runtime_context):
        self._metrics = IntakeMetrics(runtime_context.get_metrics_group())

    def process_element(self, value, ctx):
        stream, payload = value
        payload = bytes(payload)
        self._metrics.event_in(stream)
        try:
            update = control.decode_update(payload)
            control.validate_update(update)
        except control.ControlError as exc:
            yield _reject(self._metrics, stream, payload, intake.RejectedInput(intake.CONTROL, str(exc)))
            return
        yield update


class RunKeyedCheck(KeyedBroadcastProcessFunction):
    """Runs one transforms/ KeyedCheck with Flink keyed state and event-time timers, deciding
    with the rule set and model in effect at each event's time (transforms.control)."""

    def __init__(self, check, ruleset_ref: str | None, state_ttl_hours: int | None, model_uri: str | None = None,
                 route_to=None):
        self._check = check
        # The next keyed stage (the assessor, for the checks' evidence): outputs leave as its
        # ROUTED rows, keyed in Java (key_by_route), so no Python operator sits in between.
        self._route_to = route_to
        self._ruleset_ref = ruleset_ref
        self._ttl_hours = state_ttl_hours
        self._model_uri = model_uri

    def open(self, runtime_context):
        descriptor = ValueStateDescriptor("state", Types.PICKLED_BYTE_ARRAY())
        # The last states written, by key: a read of a recent key skips the JVM call and the
        # decoding (PartyBehaviour's history is several KB). Flink's state stays the truth:
        # every change is still written, and a restarted operator starts with an empty cache.
        # Off with TTL, which could expire a key behind the cache's back.
        self._cache = OrderedDict() if not self._ttl_hours else None
        if self._ttl_hours:
            descriptor.enable_time_to_live(
                StateTtlConfig.new_builder(Time.hours(self._ttl_hours))
                .set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build()
            )
        self._state = runtime_context.get_state(descriptor)
        model = control.load_model(self._model_uri) if self._model_uri else None
        self._plane = control.ControlPlane(load_ruleset(self._ruleset_ref), load_reference(), model, _now_ms)
        # Broadcast state survives restarts, this Python copy does not: reload it on first use.
        self._synced = False
        self._metrics = CheckMetrics(runtime_context.get_metrics_group(), self._check.name)
        owns = getattr(self._check, "owns", None)
        self._stream = ledger.STREAM_OF_KIND[owns] if owns else None
        self._profile = profiling.start()

    def close(self):
        profiling.stop(self._profile, self._check.name)

    def _sync(self, ctx):
        if not self._synced:
            for _, update in ctx.get_broadcast_state(CONTROL_STATE).items():
                self._plane.apply(update)
            self._synced = True

    def _read(self, key):
        """The key's state; remembers the bytes of its part without the inbox (split_encode) for
        a step that only holds an input."""
        cache = self._cache
        if cache is not None and key in cache:
            cache.move_to_end(key)
            state, self._rest = cache[key]
            return state
        state, self._rest = split_decode(self._state.value())
        return state

    def _apply(self, step, ctx, key, given):
        cache = self._cache
        if step.state is None:
            self._state.clear()
            if cache is not None:
                cache.pop(key, None)
        elif not step.unchanged:
            # The rest as last written is still true only if the step held an input in the very
            # state object it was given.
            rest = self._rest if step.held and step.state is given else None
            value, rest = split_encode(step.state, rest)
            self._state.update(value)
            if cache is not None:
                cache[key] = (step.state, rest)
                cache.move_to_end(key)
                if len(cache) > STATE_CACHE_KEYS:
                    cache.popitem(last=False)
        for ts in step.timers:
            ctx.timer_service().register_event_time_timer(ts)
        if step.ledger:
            self._metrics.ledger.settle(self._stream, step.ledger)
        outputs = step.outputs
        if outputs and self._route_to is not None:
            stage = self._route_to
            outputs = [Row(key, (key, EVIDENCE, e)) for e in outputs for key in stage.key_of(EVIDENCE, e)]
        # Late records come from on_event only (tests/unit/test_step_contract.py): PyFlink 2.2
        # does not route side outputs from a keyed broadcast function's on_timer.
        if step.late:
            now = _now_ms()
            return outputs + [(DEAD_LETTERS, intake.late_dead_letter(ledger.STREAM_OF_KIND[kind], record, why, now))
                              for kind, record, why in step.late]
        return outputs

    def process_element(self, value, ctx):
        self._sync(ctx)
        key, kind, record = value
        state, started = self._read(key), time.perf_counter_ns()
        # The record's own event time (what its timestamp was made from) spares a JVM call.
        field = _TIME_FIELD.get(kind)
        at = record[field] if field else ctx.timestamp()
        step = self._check.on_event(state, kind, record, self._plane.context_at(at))
        self._metrics.step(state, step, started)
        if self._metrics.lag_due():
            self._metrics.watermark(ctx.timer_service().current_watermark())
        yield from self._apply(step, ctx, key, state)

    def process_broadcast_element(self, value, ctx):
        self._sync(ctx)
        key = f"{value['kind']}:{value['version']}"
        broadcast = ctx.get_broadcast_state(CONTROL_STATE)
        if broadcast.contains(key):
            return
        try:
            self._plane.apply(value)
        except control.ControlError as exc:
            # DecodeControl accepted it, so only a conflict with a version this operator already
            # holds can land here: keep the first definition (same on every operator).
            logging.getLogger(__name__).warning("%s: ignored control update: %s", self._check.name, exc)
            return
        broadcast.put(key, value)
        if value["kind"] == control.RULESET:
            self._metrics.use_ruleset(value["version"])

    def on_timer(self, timestamp, ctx):
        self._sync(ctx)
        key = ctx.get_current_key()
        state, started = self._read(key), time.perf_counter_ns()
        step = self._check.on_timer(state, timestamp, self._plane.context_at(timestamp))
        self._metrics.step(state, step, started)
        if self._metrics.lag_due():
            self._metrics.watermark(ctx.timer_service().current_watermark())
        yield from self._apply(step, ctx, key, state)


class EncodeRecord(MapFunction):
    """A record -> base64 of its Avro single-object encoding, one line per record for line sinks."""

    def __init__(self, schema_name: str):
        self._schema_name = schema_name

    def map(self, value):
        return base64.b64encode(codec.encode(self._schema_name, value)).decode("ascii")

