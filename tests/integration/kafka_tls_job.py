"""The live job's Kafka source and sink (jobs/sources.KafkaTopicsSource, jobs/sinks.KafkaTopicsSink) in
the pass-through job (jobs/passthrough.py) on an embedded mini-cluster, with the Kafka security settings
of the environment (BF_KAFKA_*, jobs/kafka_security.py). Run by test_kafka_tls.py against the TLS test
broker (infra/kafka/tls-broker.sh):

    BF_KAFKA_SECURITY_PROTOCOL=SASL_SSL ... python tests/integration/kafka_tls_job.py BOOTSTRAP IN_STREAM OUT_TOPIC

Reads IN_STREAM's topic from the earliest offset to the end as of the start (bounded), writes every
record to OUT_TOPIC in Kafka transactions (EXACTLY_ONCE, committed with the final checkpoint).
"""
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def connector_jar() -> str:
    """file:// URL of the Kafka connector jar infra/stack.sh fetches (CONNECTOR_JARS)."""
    from jobs.assessment_store import store_jar_urls

    jars = [url for url in store_jar_urls() if url.rsplit("/", 1)[-1].startswith("flink-sql-connector-kafka-")]
    if not jars:
        raise RuntimeError("no flink-sql-connector-kafka jar (infra/stack.sh fetch)")
    return jars[0]


def main(bootstrap: str, in_stream: str, out_topic: str) -> None:
    from pyflink.common import Configuration
    from pyflink.datastream import CheckpointingMode

    from jobs.config import JobConfig
    from jobs.passthrough import build_pass_through
    from jobs.runtime import make_environment
    from jobs.sinks import KafkaTopicsSink
    from jobs.sources import KafkaTopicsSource

    env = make_environment(JobConfig())
    # no restarts: a client the broker refuses must fail the job, not retry for ever
    env.configure(Configuration().set_string("restart-strategy.type", "none"))
    env.add_jars(connector_jar())
    env.enable_checkpointing(1000, CheckpointingMode.EXACTLY_ONCE)
    run = uuid.uuid4().hex[:8]
    source = KafkaTopicsSource(bootstrap, f"tls-itest-{run}", streams=(in_stream,), bounded=True)
    sink = KafkaTopicsSink(bootstrap, transactional_id_prefix=f"tls-itest-{run}", exactly_once=True)
    build_pass_through(env, source, sink, out_topic)
    env.execute(f"kafka-tls-itest-{run}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
