"""Kafka clients over TLS and SASL, configured only by the BF_KAFKA_* settings (jobs/kafka_security.py),
against a real broker: infra/kafka/tls-broker.sh, started for this module on its own ports and run
folder (never the default stack) with a fresh CA, broker certificate and SCRAM-SHA-512 password, and
stopped at the end (its keys and passwords deleted).

(a) a confluent-kafka producer and consumer built through kafka_security round-trip records over SSL
    and over SASL_SSL; so does `borderflow produce` (a traffic directory into the input topics);
(b) a client trusting another CA, or with a wrong password, fails with the reason: librdkafka reports
    "certificate verify failed" / "SASL authentication error", and `borderflow produce` exits with it
    (not after a timeout);
(c) a PLAINTEXT client gets nothing from any of the broker's ports (SSL, SASL_SSL, controller): no
    metadata, no record written, and the broker logs the failed TLS handshake;
(d) Flink's Kafka source and sink, as the live job builds them (jobs/sources.py, jobs/sinks.py, in the
    pass-through job on an embedded mini-cluster), take the Java mapping of the same settings and copy a
    topic over SASL_SSL, exactly once.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from borderflow import topics
from jobs import kafka_security
from jobs.sources import timed_traffic_messages, topic_of
from schemas import codec

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "kafka" / "tls-broker.sh"
FLINK_JOB = ROOT / "tests" / "integration" / "kafka_tls_job.py"
# Its own run folder and ports (the script's defaults are 29692-29694): a TLS broker started by hand
# keeps running beside this test, and neither touches the default stack (19092).
BROKER_ENV = {
    "BF_TLS_RUN_DIR": ".cache/infra/run-tls-itest",
    "BF_TLS_SSL_PORT": "29792",
    "BF_TLS_SASL_SSL_PORT": "29793",
    "BF_TLS_CONTROLLER_PORT": "29794",
}
PROTOCOLS = ("SSL", "SASL_SSL")
RUN_ID = uuid.uuid4().hex[:8]


def clean_environ(**extra) -> dict:
    """This process's environment without any BF_KAFKA_* client setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BF_KAFKA_S")}
    return {**env, **extra}


def script(*args, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=clean_environ(**BROKER_ENV))


def key_values(text: str) -> dict:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def broker():
    """The TLS broker, up for this module: `paths` (env), and per protocol the client settings a user
    would export (env ssl|sasl_ssl: BOOTSTRAP and BF_KAFKA_*)."""
    t0 = time.monotonic()
    up = script("start")
    if up.returncode != 0:
        script("stop", timeout=120)
        pytest.fail(f"tls-broker.sh start failed (exit {up.returncode}):\n{up.stdout}\n{up.stderr}", pytrace=False)
    print(f"\nTLS broker up in {time.monotonic() - t0:.1f}s\n{up.stdout}")
    paths = key_values(script("env", timeout=60).stdout)
    settings = {p: key_values(script("env", p.lower(), timeout=60).stdout) for p in PROTOCOLS}
    yield {"paths": paths, **settings}
    logs = script("logs", "30", timeout=60).stdout
    down = script("stop", timeout=180)
    assert down.returncode == 0, f"tls-broker.sh stop failed:\n{down.stdout}\n{down.stderr}\n{logs}"
    status = script("status", timeout=60)
    assert status.returncode == 3, f"after stop, status should say not running (exit 3):\n{status.stdout}"
    run = Path(paths["TLS_RUN"])
    assert not (run / "secrets").exists() and not Path(paths["TLS_CA_FILE"]).exists(), "keys left behind"


def security(broker, protocol: str, **overrides) -> dict:
    """The BF_KAFKA_* settings for one listener, as `tls-broker.sh env` prints them, with overrides."""
    return {k: v for k, v in {**broker[protocol], **overrides}.items() if k.startswith("BF_KAFKA_")}


def client_config(broker, protocol: str, **overrides) -> dict:
    """librdkafka configuration: the listener's address + kafka_security's mapping of the settings."""
    return {"bootstrap.servers": broker[protocol]["BOOTSTRAP"],
            **kafka_security.from_environment(security(broker, protocol, **overrides)).librdkafka_properties()}


def create_topic(broker, name: str, partitions: int = 1) -> None:
    admin = AdminClient(client_config(broker, "SSL"))
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name].result(timeout=30)


def end_offsets(broker, topic: str) -> dict[int, int]:
    consumer = Consumer({**client_config(broker, "SSL"), "group.id": f"tls-itest-offsets-{uuid.uuid4().hex}"})
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in sorted(parts)}
    finally:
        consumer.close()


def read_all(config: dict, topic: str, start: dict[int, int], isolation="read_committed") -> list:
    """Every message from `start` to the partitions' ends as of now, with a consumer built from `config`."""
    return topics.read_range(config["bootstrap.servers"], topic, start, isolation, extra_config=config)


def failed_attempt(config: dict, topic: str, seconds: float = 5.0) -> tuple[list, list]:
    """Produce one record with `config` and poll for `seconds`: (client errors, delivery results)."""
    errors, deliveries = [], []
    producer = Producer({**config, "error_cb": errors.append, "message.timeout.ms": int(seconds * 1000),
                         "log_level": 0})
    producer.produce(topic, b"must not arrive", on_delivery=lambda err, _msg: deliveries.append(err))
    deadline = time.monotonic() + seconds + 2
    while not deliveries and time.monotonic() < deadline:
        producer.poll(0.2)
    return errors, deliveries


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    from generator.traffic import generate

    out = tmp_path_factory.mktemp("tls-traffic") / "traffic"
    generate(out, days=1, seed=3, declarations_per_day=40)
    return out


@pytest.fixture(scope="module")
def wrong_ca(tmp_path_factory) -> str:
    """A CA of its own: a real, valid CA certificate, just not the one that signed the broker's."""
    folder = tmp_path_factory.mktemp("wrong-ca")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(folder / "ca.key"), "-out", str(folder / "ca.pem"), "-days", "1",
                    "-subj", "/CN=not the borderflow test CA"], check=True, capture_output=True)
    return str(folder / "ca.pem")


@pytest.fixture(scope="module")
def wrong_password(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("wrong-password") / "password"
    path.write_text("not-the-password\n")
    return str(path)


def error_line(out: subprocess.CompletedProcess) -> str:
    """The one-line error `borderflow produce` ended with (no traceback)."""
    lines = [line for line in out.stderr.splitlines() if line.startswith("borderflow produce: ")]
    assert lines and "Traceback" not in out.stderr, f"no one-line error (exit {out.returncode}):\n{out.stderr[-3000:]}"
    return lines[-1]


def borderflow_produce(broker, protocol: str, traffic: Path, **overrides) -> subprocess.CompletedProcess:
    """`borderflow produce` in its own process, with the listener's BF_KAFKA_* settings in its environment."""
    env = clean_environ(**security(broker, protocol, **overrides))
    return subprocess.run([sys.executable, "-m", "borderflow.cli", "produce", "--input", str(traffic),
                           "--bootstrap-servers", broker[protocol]["BOOTSTRAP"]],
                          cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)


# --- (a) round trips -------------------------------------------------------------------------------
def test_the_broker_speaks_only_tls_and_keeps_its_secrets_out_of_git(broker):
    run = Path(broker["paths"]["TLS_RUN"])
    props = (run / "secrets" / "server.properties").read_text()
    listeners = re.search(r"^listener\.security\.protocol\.map=(.*)$", props, re.M).group(1)
    assert "PLAINTEXT" not in listeners, listeners
    assert oct((run / "secrets").stat().st_mode & 0o777) == "0o700"
    assert subprocess.run(["git", "check-ignore", "-q", str(run)], cwd=ROOT).returncode == 0, "run folder not ignored"
    password = Path(broker["SASL_SSL"]["BF_KAFKA_SASL_PASSWORD_FILE"]).read_text().strip()
    assert len(password) >= 32
    assert password not in (run / "logs" / "server.log").read_text()
    assert "BF_KAFKA_SASL_PASSWORD" not in broker["SASL_SSL"], "the password itself is never printed"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_producer_and_consumer_round_trip(broker, protocol):
    topic = f"tls-roundtrip-{protocol.lower().replace('_', '-')}-{RUN_ID}"
    create_topic(broker, topic, partitions=2)
    config = client_config(broker, protocol)
    assert config["security.protocol"] == protocol
    sent = {f"key-{i}".encode(): f"{protocol} record {i}".encode() for i in range(40)}
    errors, failures = [], []
    producer = Producer({**config, "enable.idempotence": True, "error_cb": errors.append})
    for key, value in sent.items():
        producer.produce(topic, value=value, key=key, on_delivery=lambda err, _m: err and failures.append(err))
    assert producer.flush(30) == 0 and not failures and not errors, (failures, errors)

    received = read_all(config, topic, {0: 0, 1: 0})
    assert {m.key(): m.value() for m in received} == sent
    assert len(received) == len(sent)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_borderflow_produce_publishes_the_traffic(broker, traffic, protocol):
    messages = timed_traffic_messages(traffic)
    per_topic = {}
    for _, stream, _ in messages:
        per_topic[topic_of(stream)] = per_topic.get(topic_of(stream), 0) + 1
    before = {t: end_offsets(broker, t) for t in per_topic}

    out = borderflow_produce(broker, protocol, traffic)
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"published {len(messages)} messages" in out.stdout

    after = {t: end_offsets(broker, t) for t in per_topic}
    assert {t: sum(after[t].values()) - sum(before[t].values()) for t in per_topic} == per_topic
    declarations = read_all(client_config(broker, protocol), "declarations", before["declarations"])
    decoded = [codec.decode(codec.STREAM_SCHEMAS["declarations"], m.value()) for m in declarations]
    expected = [codec.decode(codec.STREAM_SCHEMAS[s], p) for _, s, p in messages if s == "declarations"]
    assert sorted(d["declaration_id"] + str(d["version"]) for d in decoded) == \
        sorted(d["declaration_id"] + str(d["version"]) for d in expected)


# --- (b) the wrong CA, the wrong password ----------------------------------------------------------
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_client_trusting_another_ca_fails_with_the_reason(broker, traffic, wrong_ca, protocol):
    topic = "declarations"
    before = end_offsets(broker, topic)
    errors, deliveries = failed_attempt(client_config(broker, protocol, BF_KAFKA_SSL_CA_FILE=wrong_ca), topic)
    assert deliveries and deliveries[0] is not None, "delivered through an untrusted certificate"
    ssl_errors = [e for e in errors if e.code() == KafkaError._SSL]
    assert ssl_errors, [e.str() for e in errors]
    assert "certificate verify failed" in ssl_errors[0].str()

    t0 = time.monotonic()
    out = borderflow_produce(broker, protocol, traffic, BF_KAFKA_SSL_CA_FILE=wrong_ca)
    assert out.returncode != 0
    assert "SSL handshake failed" in error_line(out) and "certificate verify failed" in error_line(out)
    assert time.monotonic() - t0 < 50, "failed only after a timeout"
    assert end_offsets(broker, topic) == before


def test_a_wrong_password_fails_with_the_reason(broker, traffic, wrong_password):
    before = end_offsets(broker, "declarations")
    config = client_config(broker, "SASL_SSL", BF_KAFKA_SASL_PASSWORD_FILE=wrong_password)
    assert config["sasl.password"] == "not-the-password"
    errors, deliveries = failed_attempt(config, "declarations")
    assert deliveries and deliveries[0] is not None, "delivered with a wrong password"
    auth_errors = [e for e in errors if e.code() == KafkaError._AUTHENTICATION]
    assert auth_errors, [e.str() for e in errors]
    assert "SASL authentication error" in auth_errors[0].str() and "invalid credentials" in auth_errors[0].str()

    t0 = time.monotonic()
    out = borderflow_produce(broker, "SASL_SSL", traffic, BF_KAFKA_SASL_PASSWORD_FILE=wrong_password)
    assert out.returncode != 0
    assert "SASL authentication error" in error_line(out) and "invalid credentials" in error_line(out)
    assert time.monotonic() - t0 < 50, "failed only after a timeout"
    assert end_offsets(broker, "declarations") == before


# --- (c) PLAINTEXT is refused everywhere -----------------------------------------------------------
def test_a_plaintext_client_cannot_talk_to_any_port(broker):
    log = Path(broker["paths"]["TLS_LOG"])
    before = end_offsets(broker, "declarations")
    ports = {"SSL": broker["SSL"]["BOOTSTRAP"], "SASL_SSL": broker["SASL_SSL"]["BOOTSTRAP"],
             "controller": broker["paths"]["TLS_CONTROLLER"]}
    for name, address in ports.items():
        refused_before = len(re.findall(rf"Failed authentication with /127\.0\.0\.1 \(channelId={re.escape(address)}-"
                                        r"[^)]*\) \(SSL handshake failed\)", log.read_text()))
        plaintext = {"bootstrap.servers": address, "security.protocol": "PLAINTEXT", "log_level": 0}
        with pytest.raises(KafkaException) as refused:
            AdminClient(plaintext).list_topics(timeout=3)
        assert refused.value.args[0].code() in (KafkaError._TRANSPORT, KafkaError._TIMED_OUT), (name, refused.value)
        errors, deliveries = failed_attempt(plaintext, "declarations", seconds=3)
        assert deliveries and deliveries[0] is not None, f"{name}: a PLAINTEXT record was delivered"
        deadline = time.monotonic() + 10
        while True:  # the broker logs each refused handshake
            refused_after = len(re.findall(rf"Failed authentication with /127\.0\.0\.1 \(channelId={re.escape(address)}-"
                                           r"[^)]*\) \(SSL handshake failed\)", log.read_text()))
            if refused_after > refused_before or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert refused_after > refused_before, f"{name}: no failed TLS handshake in the broker log"
    assert end_offsets(broker, "declarations") == before


# --- (d) Flink's Kafka connector ------------------------------------------------------------------
def test_the_jobs_flink_source_and_sink_copy_a_topic_over_sasl_ssl(broker, tmp_path):
    stream = f"tls_flink_in_{RUN_ID}"
    in_topic, out_topic = topic_of(stream), f"tls-flink-out-{RUN_ID}"
    create_topic(broker, in_topic, partitions=2)
    create_topic(broker, out_topic, partitions=1)
    config = client_config(broker, "SASL_SSL")
    sent = [f"flink record {i}".encode() for i in range(60)]
    producer = Producer(config)
    for i, value in enumerate(sent):
        producer.produce(in_topic, value=value, key=str(i).encode())
    assert producer.flush(30) == 0

    flink_log = tmp_path / "flink-log"
    env = clean_environ(**security(broker, "SASL_SSL"), FLINK_LOG_DIR=str(flink_log))
    t0 = time.monotonic()
    job = subprocess.run([sys.executable, str(FLINK_JOB), broker["SASL_SSL"]["BOOTSTRAP"], stream, out_topic],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    elapsed = time.monotonic() - t0
    logs = "\n".join(p.read_text(errors="replace")[-4000:] for p in flink_log.glob("*.log"))
    causes = "\n".join(line for line in (job.stdout + job.stderr).splitlines() if "Caused by" in line)
    assert job.returncode == 0, f"the Flink job failed after {elapsed:.0f}s:\n{causes}\n{job.stderr[-3000:]}\n{logs}"
    print(f"\nFlink pass-through job over SASL_SSL: {elapsed:.1f}s")

    copied = read_all(config, out_topic, {0: 0}, isolation="read_committed")
    assert sorted(m.value() for m in copied) == sorted(sent)
    # the JAAS configuration holds the password: the client logs it as [hidden], and nothing else shows it
    password = Path(broker["SASL_SSL"]["BF_KAFKA_SASL_PASSWORD_FILE"]).read_text().strip()
    everything = job.stdout + job.stderr + "".join(p.read_text(errors="replace") for p in flink_log.rglob("*.log"))
    assert "sasl.jaas.config = [hidden]" in everything
    assert password not in everything
