"""Smoke job for the local stack: Kafka -> a Python map -> Kafka, exactly once.

Reads every committed record of INPUT (bounded: from the earliest offsets to the latest at start,
read_committed), maps each value in Python to `VALUE.upper()|pid=<pid>|<module>`, and writes the
result to OUTPUT with a transactional KafkaSink (EXACTLY_ONCE), checkpointing every 2 s. Being
bounded, the job finishes by itself; its final checkpoint commits the last transaction.

The pid is the process the Python code ran in: in thread mode that is the TaskManager JVM itself.
The module is `borderflow`, imported inside the map, which proves the TaskManager's embedded
interpreter sees the project (PYTHONPATH set by infra/stack.sh).

    infra/stack.sh flink run -py infra/smoke/kafka_roundtrip.py \
        --bootstrap 127.0.0.1:19092 --input IN --output OUT [--parallelism 2]
"""
import argparse

from pyflink.common import Configuration, Types, WatermarkStrategy
from pyflink.common.serialization import SimpleStringSchema
from pyflink.datastream import CheckpointingMode, StreamExecutionEnvironment
from pyflink.datastream.connectors.base import DeliveryGuarantee
from pyflink.datastream.connectors.kafka import (
    KafkaOffsetsInitializer,
    KafkaRecordSerializationSchema,
    KafkaSink,
    KafkaSource,
)


def tag(value: str) -> str:
    import os

    import borderflow  # noqa: F401  (the project must be importable in the TaskManager)

    return f"{value.upper()}|pid={os.getpid()}|{borderflow.__name__}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--parallelism", type=int, default=2)
    ap.add_argument("--checkpoint-ms", type=int, default=2000)
    ap.add_argument("--name", default="borderflow-infra-smoke")
    args = ap.parse_args()

    # No restarts: a smoke test should fail at once (with checkpointing on, Flink's default is to
    # restart for ever, e.g. on an ImportError in the TaskManager).
    conf = Configuration()
    conf.set_string("restart-strategy.type", "none")
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(args.parallelism)
    env.enable_checkpointing(args.checkpoint_ms, CheckpointingMode.EXACTLY_ONCE)

    source = (
        KafkaSource.builder()
        .set_bootstrap_servers(args.bootstrap)
        .set_topics(args.input)
        .set_group_id(f"{args.name}-{args.input}")
        .set_starting_offsets(KafkaOffsetsInitializer.earliest())
        .set_bounded(KafkaOffsetsInitializer.latest())
        .set_value_only_deserializer(SimpleStringSchema())
        .set_property("isolation.level", "read_committed")
        .build()
    )
    sink = (
        KafkaSink.builder()
        .set_bootstrap_servers(args.bootstrap)
        .set_record_serializer(
            KafkaRecordSerializationSchema.builder()
            .set_topic(args.output)
            .set_value_serialization_schema(SimpleStringSchema())
            .build()
        )
        .set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .set_transactional_id_prefix(f"{args.name}-{args.output}")
        .set_property("transaction.timeout.ms", "60000")
        .build()
    )
    (
        env.from_source(source, WatermarkStrategy.no_watermarks(), "kafka-in")
        .map(tag, output_type=Types.STRING())
        .name("tag-in-python")
        .sink_to(sink)
        .name("kafka-out-exactly-once")
    )
    env.execute(args.name)


if __name__ == "__main__":
    main()
