"""A trivial pass-through job: the live job's ceiling on this engine and stack.

It reads the input topics with the live job's source (KafkaTopicsSource.build_inputs: one KafkaSource
per topic, per-partition watermarks), passes each message's bytes through one Python map and writes
them to `topic` with the live job's Kafka sink (KafkaTopicsSink.kafka_sink, exactly once). So it
pays for Kafka in, Kafka out, checkpoints and one Python hop, and nothing else: no decoding, no
keyed state, no timers. Used by
benchmarks/cluster_throughput.py (`jobs/cluster_job.py --pass-through TOPIC`).
"""
from __future__ import annotations


def build_pass_through(env, source, sink, topic: str) -> None:
    from pyflink.common import Types

    first, *rest = [raw for _, raw in source.build_inputs(env)]
    ((first.union(*rest) if rest else first)
     .map(_payload, output_type=Types.PRIMITIVE_ARRAY(Types.BYTE())).name("PassThrough")
     .sink_to(sink.kafka_sink(topic, "pass-through")).name("PublishPassThrough"))


def _payload(payload):
    return payload
