"""A real schema registry (Apicurio Registry, built from Maven Central by infra/registry/registry.sh)
driven through its Confluent-compatible API with confluent-kafka's SchemaRegistryClient:

(a) every project schema (schemas/avro/*.avsc, standalone) registers, the registry hands back the
    same schema (same CRC-64-AVRO fingerprint as the codec's) and re-registering is idempotent;
(b) with BACKWARD compatibility set, a new field without a default is rejected (409) and a new
    optional field with a null default is accepted, for varied field names and types;
(c) a Declaration written in the Confluent wire format (magic 0, schema id, body) decodes through
    the registry, also into a newer reader schema (old writer -> new reader gets the default), and
    an unknown schema id is an error.

The registry runs on its own free port and run folder (not the stack's 18085), and is stopped at
the end. The first run builds the server with Maven (minutes); later runs only start it.
"""
import json
import os
import socket
import struct
import subprocess
import time

from pathlib import Path

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro.schema import fingerprint as avro_fingerprint
from fastavro.schema import to_parsing_canonical_form
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import codec
from tests.unit.fixtures import records

pytestmark = [pytest.mark.integration, pytest.mark.registry]

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "infra" / "registry" / "registry.sh"
SUBJECT = "declarations-value"  # Confluent's TopicNameStrategy: <topic>-value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("registry-run")
    env = {**os.environ, "BF_RUN_DIR": str(run_dir), "BF_REGISTRY_PORT": str(free_port())}

    def sh(cmd: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(REGISTRY), cmd], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)

    info = dict(line.split("=", 1) for line in sh("env", 60).stdout.splitlines() if "=" in line)
    build = sh("build", 1500)  # a cold Maven cache: minutes
    assert build.returncode == 0, f"registry build failed:\n{build.stdout}\n{build.stderr}"
    t0 = time.monotonic()
    start = sh("start", 400)
    if start.returncode != 0:
        sh("stop", 120)
        pytest.fail(f"registry start failed (exit {start.returncode}):\n{start.stdout}\n{start.stderr}", pytrace=False)
    print(f"\nregistry up in {time.monotonic() - t0:.1f}s: {start.stdout.strip()}")
    yield {**info, "client": SchemaRegistryClient({"url": info["REGISTRY_URL"]})}
    pid = open(info["REGISTRY_PID_FILE"]).read().strip()
    rss_kb = subprocess.run(["ps", "-o", "rss=", "-p", pid], capture_output=True, text=True).stdout.strip()
    print(f"registry resident memory at the end: {int(rss_kb or 0) // 1024} MiB")
    stop = sh("stop", 120)
    assert stop.returncode == 0, f"registry stop failed:\n{stop.stdout}\n{stop.stderr}"
    assert sh("status", 60).returncode == 3, "after stop, status should say the registry is not running"


def crc64(schema: dict | str) -> bytes:
    parsed = fastavro.parse_schema(json.loads(schema) if isinstance(schema, str) else schema)
    return bytes.fromhex(avro_fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))


def avro_schema(schema: dict) -> Schema:
    return Schema(json.dumps(schema), "AVRO")


@pytest.fixture(scope="module")
def declaration_v1(registry):
    """The current Declaration schema registered under the declarations topic, BACKWARD checked."""
    client = registry["client"]
    schema_id = client.register_schema(SUBJECT, avro_schema(codec.standalone_schema("Declaration")))
    client.set_compatibility(SUBJECT, "BACKWARD")
    return schema_id


def test_every_project_schema_registers_and_comes_back_unchanged(registry):
    client = registry["client"]
    ids = {}
    for name in codec.SCHEMA_NAMES:
        subject = f"borderflow.{name}"  # RecordNameStrategy
        ids[name] = client.register_schema(subject, avro_schema(codec.standalone_schema(name)))
        stored = client.get_latest_version(subject)
        assert stored.schema_id == ids[name]
        assert crc64(stored.schema.schema_str) == codec.fingerprint(name), f"{name} changed in the registry"
        # the same schema again: the same id, no new version
        assert client.register_schema(subject, avro_schema(codec.standalone_schema(name))) == ids[name]
        assert client.get_versions(subject) == [stored.version]
    assert len(set(ids.values())) == len(ids), f"distinct schemas must get distinct ids: {ids}"
    assert {f"borderflow.{n}" for n in codec.SCHEMA_NAMES} <= set(client.get_subjects())


def test_backward_compatibility_rejects_a_new_field_without_default(registry, declaration_v1):
    client = registry["client"]
    assert client.get_compatibility(SUBJECT) == "BACKWARD"
    versions = client.get_versions(SUBJECT)
    bad = codec.standalone_schema("Declaration")
    bad["fields"].append({"name": "risk_hint", "type": "string"})
    assert client.test_compatibility(SUBJECT, avro_schema(bad)) is False
    with pytest.raises(SchemaRegistryError) as rejected:
        client.register_schema(SUBJECT, avro_schema(bad))
    assert rejected.value.http_status_code == 409
    assert "risk_hint" in str(rejected.value)
    assert client.get_versions(SUBJECT) == versions, "the rejected schema must not be stored"


NEW_FIELD_NAMES = st.from_regex(r"zz_[a-z][a-z0-9_]{0,12}", fullmatch=True)
PRIMITIVES = st.sampled_from(["string", "long", "int", "double", "boolean", "bytes"])


@settings(max_examples=12, deadline=None)
@given(field=NEW_FIELD_NAMES, avro_type=PRIMITIVES)
def test_backward_check_matches_the_evolution_rules(registry, declaration_v1, field, avro_type):
    """schemas/EVOLUTION.md rules 1-2, checked by the registry instead of by review: a new field
    needs a default; an optional one (null first, default null) is fine."""
    client = registry["client"]
    required = codec.standalone_schema("Declaration")
    required["fields"].append({"name": field, "type": avro_type})
    optional = codec.standalone_schema("Declaration")
    optional["fields"].append({"name": field, "type": ["null", avro_type], "default": None})
    assert client.test_compatibility(SUBJECT, avro_schema(required)) is False
    assert client.test_compatibility(SUBJECT, avro_schema(optional)) is True


def test_a_message_decodes_through_the_registry_also_into_a_newer_reader(registry, declaration_v1):
    client = registry["client"]
    ctx = SerializationContext("declarations", MessageField.VALUE)
    record = records.declaration()
    # a producer that uses the registered schema and never registers one itself
    serializer = AvroSerializer(client, json.dumps(codec.standalone_schema("Declaration")),
                                conf={"auto.register.schemas": False})
    data = serializer(record, ctx)
    magic, schema_id = struct.unpack(">bI", data[:5])
    assert (magic, schema_id) == (0, declaration_v1), "Confluent wire format: magic 0, then the schema id"

    # a consumer that knows no schema: the writer schema comes from the registry by id
    decoded = AvroDeserializer(client)(data, ctx)
    assert decoded == codec.decode("Declaration", codec.encode("Declaration", record))

    # v2 adds an optional field (BACKWARD compatible); a v2 reader reads v1 data with the default
    v2 = codec.standalone_schema("Declaration")
    v2["fields"].append({"name": "incoterm_v2", "type": ["null", "string"], "default": None})
    v2_id = client.register_schema(SUBJECT, avro_schema(v2))
    assert v2_id != declaration_v1
    as_v2 = AvroDeserializer(client, schema_str=json.dumps(v2))(data, ctx)
    assert as_v2 == {**decoded, "incoterm_v2": None}

    # an id the registry never issued: a clear error, not a wrong record
    unknown = bytes([0]) + struct.pack(">I", 987_654) + data[5:]
    with pytest.raises(Exception) as err:
        AvroDeserializer(client)(unknown, ctx)
    assert "987654" in str(err.value) or "not found" in str(err.value).lower()
