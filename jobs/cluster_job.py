"""Entry point of the live job on a Flink cluster: Kafka in, Kafka out, exactly once.

Submitted by `borderflow submit` as `flink run -py jobs/cluster_job.py -- ARGS`; the cluster's
configuration (checkpoint storage, Python executable, PYTHONPATH) comes from infra/.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the client imports jobs/ too

from jobs.config import JobConfig  # noqa: E402
from jobs.live_job import build_job  # noqa: E402
from jobs.sinks import KafkaTopicsSink  # noqa: E402
from jobs.sources import KafkaTopicsSource  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(prog="cluster_job")
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--group-id", default="borderflow-live")
    p.add_argument("--bounded", action="store_true", help="stop at the offsets current at start-up")
    p.add_argument("--start-timestamp-ms", type=int,
                   help="read from the first record published at or after this time (default: committed offsets)")
    p.add_argument("--checkpoint-interval-ms", type=int, default=5000)
    p.add_argument("--idle-partition-ms", type=int, default=60_000,
                   help="an input partition without records this long stops holding back the watermark")
    p.add_argument("--parallelism", type=int, default=1)
    p.add_argument("--ruleset")
    p.add_argument("--model")
    p.add_argument("--assessment-store", help="Parquet store of the assessments (folder or URI)")
    p.add_argument("--job-name", default="borderflow-live")
    p.add_argument("--pass-through", metavar="TOPIC",
                   help="benchmark ceiling (jobs/passthrough.py): copy the input messages to TOPIC, no checks")
    return p.parse_args(argv)


def main(argv=None):
    from pyflink.common import Configuration
    from pyflink.datastream import CheckpointingMode, StreamExecutionEnvironment

    args = parse_args(argv if argv is not None else sys.argv[1:])
    config = JobConfig(parallelism=args.parallelism, ruleset=args.ruleset, model=args.model,
                       assessment_store=args.assessment_store, job_name=args.job_name)
    overrides = Configuration()
    # Bounded restarts: recover from a lost TaskManager, but fail visibly on a real bug.
    overrides.set_string("restart-strategy.type", "fixed-delay")
    overrides.set_string("restart-strategy.fixed-delay.attempts", str(config.restart_attempts))
    overrides.set_string("restart-strategy.fixed-delay.delay", "2 s")
    env = StreamExecutionEnvironment.get_execution_environment(overrides)
    env.set_parallelism(config.parallelism)
    env.enable_checkpointing(args.checkpoint_interval_ms, CheckpointingMode.EXACTLY_ONCE)
    source = KafkaTopicsSource(args.bootstrap_servers, args.group_id, bounded=args.bounded,
                               start_timestamp_ms=args.start_timestamp_ms,
                               out_of_orderness_ms=config.out_of_orderness_ms,
                               idle_partition_ms=args.idle_partition_ms)
    sink = KafkaTopicsSink(args.bootstrap_servers, transactional_id_prefix=args.job_name)
    warn_if_partitions_below_parallelism(source, config.parallelism)
    if args.pass_through:
        from jobs.passthrough import build_pass_through

        build_pass_through(env, source, sink, args.pass_through)
    else:
        build_job(env, source, sink, config)
    env.execute(config.job_name)


def warn_if_partitions_below_parallelism(source: KafkaTopicsSource, parallelism: int) -> None:
    """A source subtask with no partition of a topic the checks read holds their watermark back
    until the idleness timeout, each time the job starts: every decision waits (measured: p99 25 s
    at 100 events/s). Say so at submission; the fix is more partitions (infra/stack.env BF_TOPICS)."""
    from borderflow.topics import partitions
    from jobs.sources import topic_of
    from transforms import topology

    for stream in source.streams:
        if not topology.read_by_checks(stream):
            continue
        try:
            n = len(partitions(source.bootstrap_servers, topic_of(stream)))
        except Exception as exc:  # noqa: BLE001 - the job itself will report an unreachable broker
            print(f"cluster_job: could not count the partitions of {topic_of(stream)}: {exc}", file=sys.stderr)
            continue
        if n < parallelism:
            print(f"cluster_job: WARNING: topic {topic_of(stream)} has {n} partition(s) for parallelism "
                  f"{parallelism}: its idle source subtasks will hold back every decision for "
                  f"--idle-partition-ms after each start; give it at least {parallelism} partitions",
                  file=sys.stderr)


if __name__ == "__main__":
    main()
