"""Kafka TLS/SASL settings from the environment (jobs/kafka_security.py)."""
import pytest

from jobs.kafka_security import SecurityConfigError, from_environment


def test_default_is_plaintext_on_both_clients():
    s = from_environment({})
    assert s.java_properties() == {"security.protocol": "PLAINTEXT"}
    assert s.librdkafka_properties() == {"security.protocol": "PLAINTEXT"}


def test_sasl_ssl_maps_to_each_client_and_hides_the_password(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    pw = tmp_path / "password"
    pw.write_text('s3cr"et\n')
    s = from_environment({"BF_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "BF_KAFKA_SSL_CA_FILE": str(ca),
                          "BF_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "BF_KAFKA_SASL_USERNAME": "borderflow",
                          "BF_KAFKA_SASL_PASSWORD_FILE": str(pw)})
    java = s.java_properties()
    assert java["security.protocol"] == "SASL_SSL"
    assert java["ssl.truststore.type"] == "PEM" and java["ssl.truststore.location"] == str(ca)
    assert java["sasl.jaas.config"] == ('org.apache.kafka.common.security.scram.ScramLoginModule required '
                                        'username="borderflow" password="s3cr\\"et";')
    assert s.librdkafka_properties() == {"security.protocol": "SASL_SSL", "ssl.ca.location": str(ca),
                                         "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "borderflow",
                                         "sasl.password": 's3cr"et'}
    assert "s3cr" not in repr(s)


@pytest.mark.parametrize("env, named", [
    ({"BF_KAFKA_SECURITY_PROTOCOL": "TLS"}, "BF_KAFKA_SECURITY_PROTOCOL"),
    ({"BF_KAFKA_SECURITY_PROTOCOL": "SSL", "BF_KAFKA_SSL_CA_FILE": "/nonexistent.pem"}, "BF_KAFKA_SSL_CA_FILE"),
    ({"BF_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "BF_KAFKA_SASL_MECHANISM": "GSSAPI"}, "BF_KAFKA_SASL_MECHANISM"),
    ({"BF_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "BF_KAFKA_SASL_MECHANISM": "PLAIN"}, "BF_KAFKA_SASL_USERNAME"),
    ({"BF_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "BF_KAFKA_SASL_MECHANISM": "PLAIN",
      "BF_KAFKA_SASL_USERNAME": "u", "BF_KAFKA_SASL_PASSWORD_FILE": "/nonexistent"}, "BF_KAFKA_SASL_PASSWORD_FILE"),
])
def test_bad_settings_name_the_variable(env, named):
    with pytest.raises(SecurityConfigError, match=named):
        from_environment(env)


def test_flink_properties_name_the_login_module_the_sql_connector_relocates(tmp_path):
    """flink-sql-connector-kafka shades kafka-clients: an unshaded login module is not found there
    (tests/integration/test_kafka_tls.py runs the job's source and sink against a SASL_SSL broker)."""
    pw = tmp_path / "password"
    pw.write_text("pw")
    env = {"BF_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "BF_KAFKA_SASL_MECHANISM": "PLAIN",
           "BF_KAFKA_SASL_USERNAME": "u", "BF_KAFKA_SASL_PASSWORD_FILE": str(pw)}
    s = from_environment(env)
    flink = s.flink_properties()
    assert flink["sasl.jaas.config"] == ('org.apache.flink.kafka.shaded.org.apache.kafka.common.security.plain.'
                                         'PlainLoginModule required username="u" password="pw";')
    assert {k: v for k, v in flink.items() if k != "sasl.jaas.config"} == \
        {k: v for k, v in s.java_properties().items() if k != "sasl.jaas.config"}
    assert from_environment({}).flink_properties() == {"security.protocol": "PLAINTEXT"}
