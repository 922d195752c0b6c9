"""Helper of infra/kafka/tls-broker.sh that needs a Kafka client: set up and check the TLS test broker.
Run with the project venv's Python; everything comes from the environment tls-broker.sh sets
(TLS_SSL_BOOTSTRAP, TLS_SASL_SSL_BOOTSTRAP, TLS_CA_FILE, TLS_PASSWORD_FILE, BF_TLS_SASL_USERNAME,
BF_TOPICS). The clients are configured through jobs/kafka_security.py, like every project client.

    tlsctl.py setup TIMEOUT   wait for the SSL listener, create the SCRAM-SHA-512 user (password read
                              from its file), create BF_TOPICS, wait until a SASL_SSL client authenticates
    tlsctl.py status          print broker and topics as seen over SSL; exit 0 reachable, 1 not
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from jobs import kafka_security  # noqa: E402

MECHANISM = "SCRAM-SHA-512"


def env(name: str) -> str:
    try:
        return os.environ[name]
    except KeyError:
        sys.exit(f"tlsctl: {name} is not set (run me through infra/kafka/tls-broker.sh)")


def client_config(protocol: str) -> dict:
    """librdkafka settings for one listener, from BF_KAFKA_* variables as a user would set them."""
    settings = {"BF_KAFKA_SECURITY_PROTOCOL": protocol, "BF_KAFKA_SSL_CA_FILE": env("TLS_CA_FILE")}
    bootstrap = env("TLS_SSL_BOOTSTRAP")
    if protocol == "SASL_SSL":
        settings.update({"BF_KAFKA_SASL_MECHANISM": MECHANISM, "BF_KAFKA_SASL_USERNAME": env("BF_TLS_SASL_USERNAME"),
                         "BF_KAFKA_SASL_PASSWORD_FILE": env("TLS_PASSWORD_FILE")})
        bootstrap = env("TLS_SASL_SSL_BOOTSTRAP")
    return {"bootstrap.servers": bootstrap, "log_level": 0, "socket.timeout.ms": 3000,
            **kafka_security.from_environment(settings).librdkafka_properties()}


def admin(protocol: str):
    from confluent_kafka.admin import AdminClient

    return AdminClient(client_config(protocol))


def wait_metadata(protocol: str, deadline: float) -> object:
    client, last = admin(protocol), None
    while time.monotonic() < deadline:
        try:
            md = client.list_topics(timeout=3)
            if md.brokers:
                return md
        except Exception as exc:  # KafkaException while the broker starts / the user propagates
            last = exc
        time.sleep(0.5)
    raise TimeoutError(f"no metadata over {protocol} ({last})")


def wanted_topics() -> list[tuple[str, int, bool]]:
    topics = []
    for item in env("BF_TOPICS").split(","):
        parts = item.strip().split(":")
        if parts[0]:
            topics.append((parts[0], int(parts[1]) if len(parts) > 1 else 1, len(parts) > 2 and parts[2] == "compact"))
    return topics


def setup(timeout: float) -> int:
    from confluent_kafka.admin import NewTopic, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

    deadline = time.monotonic() + timeout
    try:
        md = wait_metadata("SSL", deadline)
    except TimeoutError as exc:
        print(f"tlsctl: the broker did not answer on {env('TLS_SSL_BOOTSTRAP')}: {exc}", file=sys.stderr)
        return 1
    client = admin("SSL")
    user = env("BF_TLS_SASL_USERNAME")
    password = Path(env("TLS_PASSWORD_FILE")).read_text(encoding="utf-8").strip().encode()
    upsert = UserScramCredentialUpsertion(user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)
    try:
        client.alter_user_scram_credentials([upsert])[user].result(timeout=30)
    except Exception as exc:
        print(f"tlsctl: creating the SCRAM user {user} failed: {exc}", file=sys.stderr)
        return 1
    new = [NewTopic(name, num_partitions=n, replication_factor=1, config={"cleanup.policy": "compact"} if compact else {})
           for name, n, compact in wanted_topics() if name not in md.topics]
    for name, fut in (client.create_topics(new, operation_timeout=30, request_timeout=30).items() if new else ()):
        try:
            fut.result()
        except Exception as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                print(f"tlsctl: creating topic {name} failed: {exc}", file=sys.stderr)
                return 1
    try:
        wait_metadata("SASL_SSL", deadline)
    except TimeoutError as exc:
        print(f"tlsctl: {user} cannot authenticate on {env('TLS_SASL_SSL_BOOTSTRAP')}: {exc}", file=sys.stderr)
        return 1
    print(f"tls-broker: SCRAM-SHA-512 user {user} authenticates on {env('TLS_SASL_SSL_BOOTSTRAP')}; "
          f"{len(wanted_topics())} topics")
    return 0


def status() -> int:
    try:
        md = admin("SSL").list_topics(timeout=5)
    except Exception as exc:
        print(f"tls-broker: not answering on {env('TLS_SSL_BOOTSTRAP')} ({exc})")
        return 1
    names = sorted(t for t in md.topics if not t.startswith("__"))
    print(f"tls-broker: answering over SSL on {env('TLS_SSL_BOOTSTRAP')} (cluster {md.cluster_id}); "
          f"topics: {', '.join(names) or '-'}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["setup"] and len(argv) == 2:
        return setup(float(argv[1]))
    if argv == ["status"]:
        return status()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
