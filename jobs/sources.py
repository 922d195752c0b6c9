"""Input sources of the live job: each input topic's raw message bytes (or, in memory, (event
time, stream, bytes) triples), exactly what a Kafka record carries, so the decoding path is the
same whatever the source."""
from __future__ import annotations

import heapq
import json
import logging
from pathlib import Path
from typing import Iterator, Protocol

from jobs import kafka_security
from schemas import codec

log = logging.getLogger(__name__)

def _entry_type():
    from pyflink.common import Types

    return Types.TUPLE([Types.STRING(), Types.PRIMITIVE_ARRAY(Types.BYTE())])


class Source(Protocol):
    def build_inputs(self, env, out_of_orderness_ms: int) -> list[tuple[str | None, object]]:
        """[(stream, DataStream of its payloads)], or [(None, DataStream of (event_time_ms,
        stream, payload))], with event time and watermarks assigned."""

    def build_control(self, env):
        """The rule-set and model updates as (stream, payload)."""


# file name in a traffic directory -> (stream, event-time field, wire format)
TRAFFIC_FILES = {
    "declarations.avro": ("declarations", "filed_at_ms"),
    "manifests.avro": ("manifests", "filed_at_ms"),
    "control_results.avro": ("control_results", "controlled_at_ms"),
}
DCSA_FILE = "container_events.dcsa.jsonl"


def _avro_messages(path: Path, stream: str, time_field: str, found: list | None) -> Iterator[tuple[int, str, bytes]]:
    from borderflow.avro_files import read_records

    schema = codec.STREAM_SCHEMAS[stream]
    records, unreadable = read_records(path)
    if found is not None:
        found += unreadable
    # A damaged stretch of the file goes on as one message of its raw bytes, after the records
    # read before it: the job dead-letters it (DECODE) and the good records still flow.
    damage = {u.records_before: u for u in unreadable}
    last_time = 0
    for i, record in enumerate(records):
        if i in damage:
            yield last_time, stream, damage.pop(i).raw
        last_time = record[time_field]
        yield last_time, stream, codec.encode(schema, record)
    for u in damage.values():
        yield last_time, stream, u.raw
    for u in unreadable:
        log.warning("%s; passed on as one undecodable message (a dead letter)", u.describe())


def _dcsa_messages(path: Path) -> Iterator[tuple[int, str, bytes]]:
    from transforms.dcsa import DcsaError, from_dcsa

    last_time = 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if not line:
                continue
            # The carrier's JSON goes on the wire as is; its time only orders the messages.
            # A broken event keeps its place and is dead-lettered by the job.
            try:
                last_time = from_dcsa(json.loads(line))["event_time_ms"]
            except (ValueError, DcsaError):
                pass
            yield last_time, "container_events", line


def traffic_files(traffic_dir: str | Path) -> list[Path]:
    """The traffic files present in a traffic directory; FileNotFoundError when it holds none."""
    traffic_dir = Path(traffic_dir)
    if not traffic_dir.is_dir():
        raise FileNotFoundError(f"no traffic directory {traffic_dir}")
    present = [traffic_dir / name for name in (*TRAFFIC_FILES, DCSA_FILE) if (traffic_dir / name).is_file()]
    if not present:
        raise FileNotFoundError(f"{traffic_dir} holds no traffic ({', '.join((*TRAFFIC_FILES, DCSA_FILE))}; "
                                "borderflow generate writes them)")
    return present


def timed_traffic_messages(traffic_dir: str | Path, unreadable: list | None = None) -> list[tuple[int, str, bytes]]:
    """All messages of a generated traffic directory as (event_time_ms, stream, payload), merged
    in event-time order: what the topics would have carried, each stream in its wire format.
    A missing stream file is an empty stream; a damaged one yields what can be read and its
    damaged stretches as raw messages (above), each also added to `unreadable` when given
    (borderflow.avro_files.Unreadable)."""
    present = {p.name: p for p in traffic_files(traffic_dir)}
    streams = [_avro_messages(present[name], s, f, unreadable) for name, (s, f) in TRAFFIC_FILES.items()
               if name in present]
    if DCSA_FILE in present:
        streams.append(_dcsa_messages(present[DCSA_FILE]))
    return list(heapq.merge(*streams, key=lambda m: m[0]))


def traffic_messages(traffic_dir: str | Path) -> list[tuple[str, bytes]]:
    """The messages of a traffic directory as (stream, payload), in event-time order."""
    return [(stream, payload) for _, stream, payload in timed_traffic_messages(traffic_dir)]


def event_times(messages: list[tuple[str, bytes]], last: int = 0) -> list[int]:
    """Each message's event time, from its own time field (a message that does not decode takes
    the time of the one before it, `last` for the first: it will be dead-lettered, its time only
    orders it)."""
    from transforms import intake

    times = []
    for stream, payload in messages:
        try:
            last = intake.decode_input(stream, payload)[2]
        except intake.RejectedInput:
            pass
        times.append(last)
    return times


class CollectionSource:
    """In-memory messages, for the embedded run and tests: one stream of (stream, payload), in
    the given order, with each message's event time and bounded-out-of-orderness watermarks."""

    def __init__(self, messages: list[tuple[str, bytes]], control_messages: list[tuple[str, bytes]] = (),
                 times: list[int] | None = None):
        self.messages = messages
        # (stream, ControlUpdate bytes): rule-set and model versions published to the run.
        self.control_messages = list(control_messages)
        # Each message's event time when the caller knows it (timed_traffic_messages); else read
        # from the messages (event_times), a second decode of each on the client.
        self.times = times

    def build_inputs(self, env, out_of_orderness_ms: int) -> list[tuple[str | None, object]]:
        """[(None, DataStream of (event_time_ms, stream, payload))]: the event time is read on the
        client (the job's decoder routes records straight to the keyed stages, so time must be set
        before); the decoder takes the triples as they are, with no operator to drop the time."""
        from pyflink.common import Duration, Types
        from pyflink.common.watermark_strategy import TimestampAssigner, WatermarkStrategy

        class FirstField(TimestampAssigner):
            def extract_timestamp(self, value, record_timestamp):
                return value[0]

        times = self.times if self.times is not None else event_times(self.messages)
        timed = [(t, stream, payload) for t, (stream, payload) in zip(times, self.messages, strict=True)]
        watermarks = (WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(out_of_orderness_ms))
                      .with_timestamp_assigner(FirstField()))
        stream = (env.from_collection(timed, type_info=Types.TUPLE([Types.LONG(), Types.STRING(),
                                                                    Types.PRIMITIVE_ARRAY(Types.BYTE())]))
                  .name("TrafficMessages")
                  .assign_timestamps_and_watermarks(watermarks).name("EventTimeWatermarks"))
        return [(None, stream)]

    def build_control(self, env):
        return env.from_collection(self.control_messages, type_info=_entry_type()).name("ControlUpdates")


def topic_of(stream: str) -> str:
    """Kafka topic of an input stream (topics use hyphens: container_events -> container-events)."""
    return stream.replace("_", "-")


class KafkaTopicsSource:
    """The input topics through Flink's Kafka connector, one KafkaSource per stream so each
    message keeps the name of its stream. `bounded` stops at the offsets current at start-up
    (replays and tests); otherwise the job runs until it is stopped.

    Event time is the Kafka record timestamp, which producers set to the event time
    (borderflow.produce). Watermarks are generated per partition inside the source and the
    job takes the minimum, so a topic read ahead of the others cannot make their records late.
    """

    def __init__(self, bootstrap_servers: str, group_id: str, streams=("declarations", "manifests",
                 "container_events", "control_results"), bounded: bool = False,
                 start_timestamp_ms: int | None = None, out_of_orderness_ms: int = 10 * 60 * 1000,
                 idle_partition_ms: int = 60 * 1000):
        self.out_of_orderness_ms = out_of_orderness_ms
        self.idle_partition_ms = idle_partition_ms
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.streams = streams
        self.bounded = bounded
        # None: the group's committed offsets (earliest for a new group); else the first record
        # published at or after this broker timestamp (replaying from a point in time).
        self.start_timestamp_ms = start_timestamp_ms

    def _starting_offsets(self):
        # To start a job at given offsets, commit them for its group first (as
        # kafka-consumer-groups --reset-offsets does); a new group starts at the earliest.
        from pyflink.datastream.connectors.kafka import KafkaOffsetResetStrategy, KafkaOffsetsInitializer

        if self.start_timestamp_ms is not None:
            return KafkaOffsetsInitializer.timestamp(self.start_timestamp_ms)
        return KafkaOffsetsInitializer.committed_offsets(KafkaOffsetResetStrategy.EARLIEST)

    def _builder(self, topics, group_id, starting_offsets):
        from pyflink.common.serialization import ByteArraySchema
        from pyflink.datastream.connectors.kafka import KafkaOffsetsInitializer, KafkaSource

        builder = (
            KafkaSource.builder()
            .set_bootstrap_servers(self.bootstrap_servers)
            .set_topics(*topics)
            .set_group_id(group_id)
            .set_starting_offsets(starting_offsets)
            .set_value_only_deserializer(ByteArraySchema())
            .set_property("isolation.level", "read_committed")
            .set_property("partition.discovery.interval.ms", "60000")
        )
        for key, value in kafka_security.from_environment().flink_properties().items():
            builder = builder.set_property(key, value)
        if self.bounded:
            builder = builder.set_bounded(KafkaOffsetsInitializer.latest())
        return builder

    def _raw(self, env, stream, topic, group_id, starting_offsets, watermarks):
        """One topic's payloads."""
        return env.from_source(self._builder([topic], group_id, starting_offsets).build(), watermarks,
                               f"Read{stream.title()}").uid(f"read-{topic}")

    def _read(self, env, stream, topic, group_id, starting_offsets, watermarks):
        """One topic as (stream, payload) records."""
        raw = self._raw(env, stream, topic, group_id, starting_offsets, watermarks)
        return raw.map(lambda payload, s=stream: (s, payload), output_type=_entry_type()).name(f"Tag{stream.title()}")

    def _watermarks(self):
        from pyflink.common import Duration
        from pyflink.common.watermark_strategy import WatermarkStrategy

        return (WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(self.out_of_orderness_ms))
                .with_idleness(Duration.of_millis(self.idle_partition_ms)))

    def build_inputs(self, env, out_of_orderness_ms: int | None = None) -> list[tuple[str, object]]:
        """[(stream, DataStream of its topic's payloads)]: the job decodes each topic with its
        own decoder, so no operator has to tag the messages with their stream. Event time and
        watermarks come from the source (this source's out_of_orderness_ms)."""
        return [(stream, self._raw(env, stream, topic_of(stream), self.group_id, self._starting_offsets(),
                                   self._watermarks()))
                for stream in self.streams]

    def build_control(self, env):
        """Every rule-set and model version ever published, from the start of the control topics
        (they are compacted and small); the job keeps them in broadcast state."""
        from pyflink.common import Duration
        from pyflink.common.watermark_strategy import WatermarkStrategy
        from pyflink.datastream.connectors.kafka import KafkaOffsetsInitializer

        from transforms.control import STREAM_OF_KIND, TOPIC_OF_KIND

        # Updates must never move event time: with watermarks from their publication times, an
        # update arriving while the traffic partitions are idle would push every operator's
        # watermark to the wall clock and decide all open declarations early. So no watermarks;
        # idle after 5 s, so this input stops holding back the traffic's watermark.
        watermarks = WatermarkStrategy.no_watermarks().with_idleness(Duration.of_seconds(5))
        first, *rest = [self._read(env, STREAM_OF_KIND[kind], topic, f"{self.group_id}-control",
                                   KafkaOffsetsInitializer.earliest(), watermarks)
                        for kind, topic in TOPIC_OF_KIND.items()]
        return first.union(*rest)
