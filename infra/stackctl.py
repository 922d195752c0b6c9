"""Helpers for infra/stack.sh that need a Kafka client or JSON: waiting for the broker, creating the
topics, and reporting status. Run with the project venv's Python; configuration comes from the
BF_* variables that stack.sh exports (from infra/stack.env).

    stackctl.py wait-kafka TIMEOUT      exit 0 when the broker answers metadata requests
    stackctl.py create-topics           create the missing BF_TOPICS; exit 1 on a mismatch
    stackctl.py kafka-status            print broker and topics; exit 0 reachable, 1 not
    stackctl.py wait-flink TIMEOUT      exit 0 when /overview shows the TaskManager with its slots
    stackctl.py flink-status            print /overview; exit 0 ready, 1 not
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request


def env(name: str) -> str:
    try:
        return os.environ[name]
    except KeyError:
        sys.exit(f"stackctl: {name} is not set (run me through infra/stack.sh)")


def bootstrap() -> str:
    return f"{env('BF_KAFKA_HOST')}:{env('BF_KAFKA_PORT')}"


def admin():
    from confluent_kafka.admin import AdminClient

    # librdkafka logs connection refusals to stderr while the broker starts: keep them quiet.
    return AdminClient({"bootstrap.servers": bootstrap(), "log_level": 0, "socket.timeout.ms": 3000})


def wanted_topics() -> list[tuple[str, int, bool]]:
    topics = []
    for item in env("BF_TOPICS").split(","):
        parts = item.strip().split(":")
        if not parts[0]:
            continue
        name, partitions = parts[0], int(parts[1]) if len(parts) > 1 else 1
        compact = len(parts) > 2 and parts[2] == "compact"
        topics.append((name, partitions, compact))
    return topics


def wait_kafka(timeout: float) -> int:
    deadline = time.monotonic() + timeout
    client = admin()
    last = None
    while time.monotonic() < deadline:
        try:
            md = client.list_topics(timeout=2)
            if md.brokers:
                return 0
        except Exception as exc:  # KafkaException while the broker is not up yet
            last = exc
        time.sleep(0.5)
    print(f"stackctl: Kafka at {bootstrap()} did not answer within {timeout:.0f}s ({last})", file=sys.stderr)
    return 1


def create_topics() -> int:
    from confluent_kafka.admin import NewTopic

    client = admin()
    existing = client.list_topics(timeout=10).topics
    new, rc = [], 0
    for name, partitions, compact in wanted_topics():
        if name in existing:
            have = len(existing[name].partitions)
            if have != partitions:
                print(f"stackctl: topic {name} has {have} partitions, stack.env says {partitions}"
                      " (`infra/stack.sh clean` resets the data)", file=sys.stderr)
                rc = 1
            continue
        config = {"cleanup.policy": "compact"} if compact else {}
        new.append(NewTopic(name, num_partitions=partitions, replication_factor=1, config=config))
    if new:
        for name, fut in client.create_topics(new, operation_timeout=30, request_timeout=30).items():
            try:
                fut.result()
            except Exception as exc:
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    print(f"stackctl: creating topic {name} failed: {exc}", file=sys.stderr)
                    rc = 1
        print(f"kafka: created topics {', '.join(t.topic for t in new)}")
    return rc


def kafka_status() -> int:
    try:
        md = admin().list_topics(timeout=5)
    except Exception as exc:
        print(f"kafka: not reachable at {bootstrap()} ({exc})")
        return 1
    brokers = ", ".join(f"{b.id}@{b.host}:{b.port}" for b in md.brokers.values())
    print(f"kafka: reachable at {bootstrap()} (cluster {md.cluster_id}, brokers {brokers})")
    wanted = {name for name, _, _ in wanted_topics()}
    for name in sorted(md.topics):
        if name.startswith("__"):
            continue
        mark = "" if name in wanted else "  (not in stack.env)"
        print(f"  {name}: {len(md.topics[name].partitions)} partitions{mark}")
    missing = wanted - set(md.topics)
    if missing:
        print(f"  missing: {', '.join(sorted(missing))}")
        return 1
    return 0


def overview() -> dict:
    url = f"http://{env('BF_FLINK_HOST')}:{env('BF_FLINK_REST_PORT')}/overview"
    with urllib.request.urlopen(url, timeout=3) as resp:
        return json.load(resp)


def flink_ready(ov: dict) -> bool:
    taskmanagers = int(env("BF_FLINK_TASKMANAGERS"))
    return (ov.get("taskmanagers", 0) >= taskmanagers
            and ov.get("slots-total", 0) >= taskmanagers * int(env("BF_FLINK_TASK_SLOTS")))


def wait_flink(timeout: float) -> int:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = overview()
            if flink_ready(last):
                return 0
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = exc
        time.sleep(0.5)
    print(f"stackctl: Flink REST did not report a ready TaskManager within {timeout:.0f}s (last: {last})",
          file=sys.stderr)
    return 1


def flink_status() -> int:
    url = f"http://{env('BF_FLINK_HOST')}:{env('BF_FLINK_REST_PORT')}"
    try:
        ov = overview()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"flink: REST not reachable at {url} ({exc})")
        return 1
    print(f"flink: REST at {url} /overview {json.dumps(ov, sort_keys=True)}")
    try:
        with urllib.request.urlopen(url + "/jobs/overview", timeout=3) as resp:
            jobs = json.load(resp).get("jobs", [])
    except (urllib.error.URLError, OSError, ValueError):
        jobs = []
    for job in sorted(jobs, key=lambda j: j.get("start-time", 0)):
        print(f"  job {job.get('jid')} {job.get('state')}: {job.get('name')}")
    return 0 if flink_ready(ov) else 1


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "wait-kafka":
        return wait_kafka(float(args[0]))
    if cmd == "create-topics":
        return create_topics()
    if cmd == "kafka-status":
        return kafka_status()
    if cmd == "wait-flink":
        return wait_flink(float(args[0]))
    if cmd == "flink-status":
        return flink_status()
    print(f"stackctl: unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
