"""Output sinks of the live job. A sink receives the assessment, alert and dead-letter streams
as Python dicts and decides where they go; the job graph does not change with the sink."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Iterator, Protocol

from jobs import kafka_security
from schemas import codec

OUTPUTS = {"assessments": "RiskAssessment", "alerts": "RiskAssessment", "dead_letters": "DeadLetter"}


class Sink(Protocol):
    def attach(self, outputs: dict) -> None: ...


def sink_uid(verb: str, output: str) -> str:
    """A sink's stable uid (its writer's; Flink derives the committer's from it). Sinks hold state
    (open transactions, files in progress): without a uid, Flink derives their ids from the shape
    of the graph, so any change upstream leaves their savepoint state without an owner and the
    resume fails."""
    return f"{verb}-{output.replace('_', '-')}"


class LineFileSink:
    """Flink's file sink, one base64 Avro single-object message per line, a folder per output.

    Used by the embedded run: `read_outputs` turns the folders back into records."""

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)

    def attach(self, outputs: dict) -> None:
        from pyflink.common import Encoder, Types
        from pyflink.datastream.connectors.file_system import FileSink, OutputFileConfig

        from jobs.functions import EncodeRecord

        for name, stream in outputs.items():
            sink = (
                FileSink.for_row_format(str(self.out_dir / name), Encoder.simple_string_encoder())
                .with_output_file_config(OutputFileConfig.builder().with_part_prefix(name).build())
                .build()
            )
            stream.map(EncodeRecord(OUTPUTS[name]), output_type=Types.STRING()).name(f"Encode{name.title()}") \
                .sink_to(sink).name(f"Write{name.title()}").uid(sink_uid("write", name))

    def read_outputs(self, name: str) -> Iterator[dict]:
        folder = self.out_dir / name
        for part in sorted(folder.rglob(f"{name}*")):
            if part.is_file() and not part.name.startswith("."):
                with open(part, "rb") as f:
                    for line in f:
                        if line.strip():
                            yield codec.decode(OUTPUTS[name], base64.b64decode(line))


class KafkaTopicsSink:
    """Assessments, alerts and dead letters to their Kafka topics as Avro single-object messages.

    EXACTLY_ONCE writes in Kafka transactions committed with Flink's checkpoints, so consumers
    with isolation.level=read_committed see every record once even after a failure."""

    TOPICS = {"assessments": "assessments", "alerts": "alerts", "dead_letters": "dead-letters"}

    def __init__(self, bootstrap_servers: str, transactional_id_prefix: str = "borderflow-live",
                 exactly_once: bool = True):
        self.bootstrap_servers = bootstrap_servers
        self.transactional_id_prefix = transactional_id_prefix
        self.exactly_once = exactly_once

    def kafka_sink(self, topic: str, name: str):
        """Flink's KafkaSink writing byte arrays to `topic`, with this sink's delivery guarantee
        (`name` makes the transactional ids unique per output)."""
        from pyflink.common.serialization import ByteArraySchema
        from pyflink.datastream.connectors.base import DeliveryGuarantee
        from pyflink.datastream.connectors.kafka import KafkaRecordSerializationSchema, KafkaSink

        builder = (
            KafkaSink.builder()
            .set_bootstrap_servers(self.bootstrap_servers)
            .set_record_serializer(
                KafkaRecordSerializationSchema.builder()
                .set_topic(topic)
                .set_value_serialization_schema(ByteArraySchema())
                .build()
            )
        )
        for key, value in kafka_security.from_environment().flink_properties().items():
            builder = builder.set_property(key, value)
        if self.exactly_once:
            builder = (builder.set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE)
                       .set_transactional_id_prefix(f"{self.transactional_id_prefix}-{name}")
                       .set_property("transaction.timeout.ms", "600000"))
        else:
            builder = builder.set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        return builder.build()

    def attach(self, outputs: dict) -> None:
        from pyflink.common import Types

        for name, stream in outputs.items():
            schema = OUTPUTS[name]
            stream.map(lambda record, s=schema: codec.encode(s, record),
                       output_type=Types.PRIMITIVE_ARRAY(Types.BYTE())).name(f"Encode{name.title()}") \
                .sink_to(self.kafka_sink(self.TOPICS[name], name)).name(f"Publish{name.title()}") \
                .uid(sink_uid("publish", name))
