"""Kafka client security (TLS, SASL) from the environment, for every client the project runs.

Settings are environment variables, never files in the repository or command-line arguments
(which show up in `ps` and in Flink's job configuration):

    BF_KAFKA_SECURITY_PROTOCOL   PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL
    BF_KAFKA_SSL_CA_FILE         PEM file of the CA that signed the brokers' certificates
    BF_KAFKA_SASL_MECHANISM      PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
    BF_KAFKA_SASL_USERNAME
    BF_KAFKA_SASL_PASSWORD_FILE  a file holding the password (a Kubernetes secret mount)

The same settings become the Java client's properties (Flink's Kafka source and sink) and
librdkafka's (confluent-kafka producers and consumers), whose names differ.

Flink's source and sink come from flink-sql-connector-kafka (infra/flink/pom.xml), which relocates
kafka-clients under FLINK_SHADED_PREFIX: their JAAS configuration must name the relocated login
module (flink_properties()), or the client fails with "No LoginModule found for
org.apache.kafka.common.security.scram.ScramLoginModule". A plain Java client takes java_properties().
tests/integration/test_kafka_tls.py runs both kinds of client against a TLS + SASL broker.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
              "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
              "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule"}


# the package flink-sql-connector-kafka relocates kafka-clients into
FLINK_SHADED_PREFIX = "org.apache.flink.kafka.shaded."


class SecurityConfigError(ValueError):
    """Kafka security settings that cannot work together; names the variable."""


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"
    ca_file: str | None = None
    mechanism: str | None = None
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never print the password
        return (f"KafkaSecurity(protocol={self.protocol!r}, ca_file={self.ca_file!r}, "
                f"mechanism={self.mechanism!r}, username={self.username!r}, password={'***' if self.password else None})")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def java_properties(self, login_module_prefix: str = "") -> dict[str, str]:
        """Properties for a Java Kafka client; `login_module_prefix`: the package its kafka-clients
        classes are relocated into, if they are (see flink_properties)."""
        props = {"security.protocol": self.protocol}
        if self.uses_tls and self.ca_file:
            props.update({"ssl.truststore.type": "PEM", "ssl.truststore.location": self.ca_file})
        if self.uses_sasl:
            props["sasl.mechanism"] = self.mechanism
            props["sasl.jaas.config"] = (f'{login_module_prefix}{MECHANISMS[self.mechanism]} required '
                                         f'username="{_escape(self.username)}" password="{_escape(self.password)}";')
        return props

    def flink_properties(self) -> dict[str, str]:
        """Properties for Flink's KafkaSource/KafkaSink (set_property) from flink-sql-connector-kafka."""
        return self.java_properties(FLINK_SHADED_PREFIX)

    def librdkafka_properties(self) -> dict[str, str]:
        """Properties for confluent-kafka (librdkafka) clients."""
        props = {"security.protocol": self.protocol}
        if self.uses_tls and self.ca_file:
            props["ssl.ca.location"] = self.ca_file
        if self.uses_sasl:
            props.update({"sasl.mechanism": self.mechanism, "sasl.username": self.username,
                          "sasl.password": self.password})
        return props


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def from_environment(env: dict | None = None) -> KafkaSecurity:
    """The settings in `env` (default os.environ), checked; SecurityConfigError names what is wrong."""
    env = os.environ if env is None else env
    protocol = env.get("BF_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").strip().upper()
    if protocol not in PROTOCOLS:
        raise SecurityConfigError(f"BF_KAFKA_SECURITY_PROTOCOL={protocol!r}: expected one of {', '.join(PROTOCOLS)}")
    ca_file = env.get("BF_KAFKA_SSL_CA_FILE") or None
    if ca_file and not Path(ca_file).is_file():
        raise SecurityConfigError(f"BF_KAFKA_SSL_CA_FILE={ca_file!r}: no such file")
    security = KafkaSecurity(protocol, ca_file)
    if not security.uses_sasl:
        return security
    mechanism = env.get("BF_KAFKA_SASL_MECHANISM", "").strip().upper()
    if mechanism not in MECHANISMS:
        raise SecurityConfigError(f"BF_KAFKA_SASL_MECHANISM={mechanism!r}: expected one of {', '.join(MECHANISMS)}")
    username = env.get("BF_KAFKA_SASL_USERNAME")
    password_file = env.get("BF_KAFKA_SASL_PASSWORD_FILE")
    if not username or not password_file:
        raise SecurityConfigError(f"{protocol} needs BF_KAFKA_SASL_USERNAME and BF_KAFKA_SASL_PASSWORD_FILE")
    try:
        password = Path(password_file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecurityConfigError(f"BF_KAFKA_SASL_PASSWORD_FILE: cannot read it ({exc.strerror})") from None
    return KafkaSecurity(protocol, ca_file, mechanism, username, password)
