"""Avro schemas and the single-object codec: round trips, evolution, and robustness to bad bytes."""
import io
import json
import time

import fastavro
import pytest
from fastavro.schema import fingerprint as crc64_fingerprint
from fastavro.schema import to_parsing_canonical_form
from fastavro.validation import validate
from hypothesis import HealthCheck, given, settings, strategies as st

import schemas
from schemas import codec
from schemas.codec import DecodeError, HEADER_SIZE, MAGIC
from tests.unit.fixtures import records

SAMPLES = records.SAMPLES
NAMES = list(schemas.SCHEMA_NAMES)


def zigzag(n: int) -> bytes:
    """Avro long encoding (zig-zag varint)."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def raw_schema(filename):
    return json.loads((codec.AVRO_DIR / filename).read_text())


# --- every schema ----------------------------------------------------------------------------------------

def test_every_schema_has_a_sample():
    assert set(SAMPLES) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_samples_are_schema_valid(name):
    assert validate(SAMPLES[name](), schemas.parsed_schema(name), raise_errors=True)


@pytest.mark.parametrize("name", NAMES)
def test_single_object_round_trip(name):
    record = SAMPLES[name]()
    data = schemas.encode(name, record)
    assert data[:2] == MAGIC and data[2:HEADER_SIZE] == schemas.fingerprint(name)
    assert schemas.decode(name, data) == record
    assert schemas.decode(name, bytearray(data)) == record
    assert schemas.decode(name, memoryview(data)) == record


@pytest.mark.parametrize("name", NAMES)
def test_container_file_round_trip(name, tmp_path):
    path = tmp_path / f"{name}.avro"
    recs = [SAMPLES[name](), SAMPLES[name]()]
    assert schemas.write_avro_file(path, name, iter(recs)) == 2
    assert list(schemas.read_avro_file(path)) == recs
    # the header schema is standalone: a plain Avro reader with no project code can read it
    with open(path, "rb") as f:
        header_schema = fastavro.reader(f).writer_schema
    assert json.dumps(header_schema)  # plain JSON
    fastavro.parse_schema(header_schema, named_schemas={})


def test_defaults_fill_optional_fields():
    minimal = {k: v for k, v in records.container_event().items()
               if k not in ("equipment_reference", "location", "transport_call_id", "mode_of_transport",
                            "vessel_imo", "empty_indicator", "seals", "document_references", "event_classifier")}
    minimal.update(event_type="TRANSPORT", event_type_code="ARRI")
    back = schemas.decode("ContainerEvent", schemas.encode("ContainerEvent", minimal))
    assert back["event_classifier"] == "ACT" and back["seals"] == [] and back["location"] is None


@pytest.mark.parametrize("name", NAMES)
def test_fingerprint_is_standard_crc64_of_the_full_canonical_form(name):
    pcf = to_parsing_canonical_form(schemas.parsed_schema(name))
    assert schemas.fingerprint(name) == bytes.fromhex(crc64_fingerprint(pcf, "CRC-64-AVRO"))
    # types from other files are inlined, so the canonical form stands alone
    fastavro.parse_schema(json.loads(pcf), named_schemas={})


def test_cross_file_types_are_inlined():
    pcf = to_parsing_canonical_form(schemas.parsed_schema("Declaration"))
    assert '"name":"consignor","type":{"name":"borderflow.Party","type":"record"' in pcf
    pcf = to_parsing_canonical_form(schemas.parsed_schema("Manifest"))
    assert '{"name":"borderflow.TransportMode","type":"enum"' in pcf


def test_fingerprints_are_distinct():
    assert len({schemas.fingerprint(n) for n in NAMES}) == len(NAMES)


# --- evolution (schemas/EVOLUTION.md) -----------------------------------------------------------------------

def parse_standalone(raw):
    """Parse a raw schema that names types of other files, the way the codec does."""
    return fastavro.parse_schema(codec._inline(raw, "", codec._DEFS, set()))


def declaration_v2():
    v2 = raw_schema("declaration.avsc")
    v2["fields"].append({"name": "incoterm", "type": ["null", "string"], "default": None,
                         "doc": "Incoterms 2020 rule of the sale (FOB, CIF, ...)."})
    return v2


def test_new_writer_old_reader_drops_the_new_field():
    v2 = declaration_v2()
    fp = schemas.register_writer_schema("Declaration", v2)
    assert fp != schemas.fingerprint("Declaration")
    v2_parsed = parse_standalone(v2)
    record_v2 = {**records.declaration(), "incoterm": "FOB"}
    data = schemas.encode("Declaration", record_v2, writer_schema=v2_parsed)
    assert data[2:HEADER_SIZE] == fp  # the writer's fingerprint travels with the message
    decoded = schemas.decode("Declaration", data)
    assert "incoterm" not in decoded
    assert decoded == records.declaration()


def test_old_writer_new_reader_gets_the_default():
    v2_parsed = parse_standalone(declaration_v2())
    data = schemas.encode("Declaration", records.declaration())
    body = io.BytesIO(data[HEADER_SIZE:])
    decoded = fastavro.schemaless_reader(body, schemas.parsed_schema("Declaration"), v2_parsed)
    assert decoded == {**records.declaration(), "incoterm": None}


def test_registered_writer_refers_to_other_files_by_name():
    v2 = declaration_v2()
    assert json.dumps(v2).count('"borderflow.Party"') >= 2  # not inlined in the raw file
    schemas.register_writer_schema("Declaration", v2)  # resolves borderflow.Party from party.avsc


def test_register_unknown_schema_name():
    with pytest.raises(KeyError):
        schemas.register_writer_schema("Nope", declaration_v2())


def test_unregistered_writer_is_a_decode_error():
    v3 = declaration_v2()
    v3["fields"].append({"name": "unregistered", "type": "int", "default": 0})
    v3_parsed = parse_standalone(v3)
    data = schemas.encode("Declaration", {**records.declaration(), "incoterm": None, "unregistered": 1},
                          writer_schema=v3_parsed)
    with pytest.raises(DecodeError, match="unknown writer schema fingerprint"):
        schemas.decode("Declaration", data)


def test_a_field_without_default_breaks_old_data():
    # why EVOLUTION.md requires a default on every added field
    bad = raw_schema("control_result.avsc")
    bad["fields"].append({"name": "officer", "type": "string"})
    bad_parsed = fastavro.parse_schema(bad)
    data = schemas.encode("ControlResult", records.control_result())
    with pytest.raises(Exception):
        fastavro.schemaless_reader(io.BytesIO(data[HEADER_SIZE:]), schemas.parsed_schema("ControlResult"), bad_parsed)


def test_appended_enum_symbol_is_a_decode_error_for_old_readers_when_used():
    v2 = raw_schema("control_result.avsc")
    v2["fields"][2]["type"]["symbols"].append("DEFERRED")
    schemas.register_writer_schema("ControlResult", v2)
    v2_parsed = fastavro.parse_schema(v2)
    old_symbol = schemas.encode("ControlResult", records.control_result(), writer_schema=v2_parsed)
    assert schemas.decode("ControlResult", old_symbol) == records.control_result()
    new_symbol = schemas.encode("ControlResult", records.control_result(finding="DEFERRED", seizure_category=None),
                                writer_schema=v2_parsed)
    with pytest.raises(DecodeError):  # the current enum has no default to fall back to
        schemas.decode("ControlResult", new_symbol)


# --- bad bytes: DecodeError and nothing else ------------------------------------------------------------

VALID = {name: schemas.encode(name, SAMPLES[name]()) for name in NAMES}


def decode_or_decode_error(name, data):
    try:
        result = schemas.decode(name, data)
    except DecodeError as exc:
        assert str(exc).startswith(f"{name}: ")
        return None
    assert isinstance(result, dict)
    return result


def test_wrong_schema_name():
    with pytest.raises(DecodeError, match="Manifest: message was written as Declaration"):
        schemas.decode("Manifest", VALID["Declaration"])
    with pytest.raises(DecodeError):
        schemas.decode("NoSuchSchema", VALID["Declaration"])


@pytest.mark.parametrize("name", NAMES)
def test_every_truncation_is_a_decode_error(name):
    data = VALID[name]
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            schemas.decode(name, data[:cut])


@pytest.mark.parametrize("name", NAMES)
def test_trailing_bytes(name):
    with pytest.raises(DecodeError, match="1 trailing bytes"):
        schemas.decode(name, VALID[name] + b"\x00")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "missing C3 01 header"),
        (b"\xc3", "missing C3 01 header"),
        (b"\xc3\x02" + b"\x00" * 20, "missing C3 01 header"),
        (b"Obj\x01" + b"\x00" * 20, "missing C3 01 header"),  # an Avro container file is not a message
        (b'{"eventType": "EQUIPMENT"}', "missing C3 01 header"),
        (MAGIC + b"\x00" * 8 + b"\x00", "unknown writer schema fingerprint 0000000000000000"),
    ],
)
def test_bad_headers(data, message):
    with pytest.raises(DecodeError, match=message):
        schemas.decode("Declaration", data)


@pytest.mark.parametrize("value", [None, "text", 42, [1, 2], {"a": 1}])
def test_non_bytes(value):
    with pytest.raises(DecodeError, match="expected bytes"):
        schemas.decode("Declaration", value)


@pytest.mark.parametrize("name", NAMES)
def test_absurd_lengths_fail_fast(name):
    fp = schemas.fingerprint(name)
    start = time.perf_counter()
    for n in (2**62, 2**40, -(2**62), -1, 2**31):
        for body in (zigzag(n), zigzag(n) + b"abc", b"\x02a" + zigzag(n) + b"xyz", b"\x02a\x02" + zigzag(n)):
            with pytest.raises(DecodeError):
                schemas.decode(name, MAGIC + fp + body)
    assert time.perf_counter() - start < 2


def test_huge_array_count_fails_fast():
    # a Declaration whose goods array claims 2**62 items
    rec = records.declaration(goods=[])
    data = schemas.encode("Declaration", rec)
    goods_empty = zigzag(0)
    # find the empty goods block: re-encode with one item and compare prefixes
    one = schemas.encode("Declaration", records.declaration(goods=[records.goods_item()]))
    prefix_len = next(i for i, (a, b) in enumerate(zip(data, one)) if a != b)
    assert data[prefix_len:prefix_len + 1] == goods_empty
    for count in (2**62, -(2**62)):
        forged = data[:prefix_len] + zigzag(count) + data[prefix_len + 1:]
        start = time.perf_counter()
        with pytest.raises(DecodeError):
            schemas.decode("Declaration", forged)
        assert time.perf_counter() - start < 1


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), st.binary(max_size=300))
def test_random_bytes(name, data):
    decode_or_decode_error(name, data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.binary(max_size=300))
def test_random_body_after_a_valid_header(name, body):
    decode_or_decode_error(name, MAGIC + schemas.fingerprint(name) + body)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_valid_messages(data):
    name = data.draw(st.sampled_from(NAMES))
    message = bytearray(VALID[name])
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        op = data.draw(st.sampled_from(["flip", "set", "insert", "delete", "varint"]))
        # mostly mutate the body: header mutations are trivially rejected
        lo = data.draw(st.sampled_from([0, HEADER_SIZE, HEADER_SIZE, HEADER_SIZE]))
        if len(message) <= lo:
            break
        i = data.draw(st.integers(min_value=lo, max_value=len(message) - 1))
        if op == "flip":
            message[i] ^= 1 << data.draw(st.integers(min_value=0, max_value=7))
        elif op == "set":
            message[i] = data.draw(st.integers(min_value=0, max_value=255))
        elif op == "insert":
            message[i:i] = data.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del message[i:i + data.draw(st.integers(min_value=1, max_value=4))]
        else:  # plant a large varint (a corrupted length or count prefix)
            message[i:i + 1] = zigzag(data.draw(st.integers(min_value=-(2**63), max_value=2**63 - 1)))
    decode_or_decode_error(name, bytes(message))


def test_decoded_garbage_of_a_flipped_string_byte_is_allowed():
    # flipping a byte inside a string keeps the message decodable: allowed, the validators judge
    data = bytearray(VALID["ControlResult"])
    i = data.index(b"LRN-")
    data[i] = ord("X")
    assert schemas.decode("ControlResult", bytes(data))["declaration_id"].startswith("XRN-")


@pytest.mark.parametrize("name, stem", [("Declaration", "declaration"), ("Manifest", "manifest"),
                                        ("RiskAssessment", "risk_assessment")])
def test_the_lifecycle_fields_keep_both_directions_working(name, stem):
    """The 2026.11 schemas (avro/history/, registered at start-up) against today's: a message an
    un-upgraded producer writes decodes with the new fields' defaults, and an old reader reads a
    new message, dropping them."""
    old = json.loads((codec.AVRO_DIR / "history" / f"{stem}-2026.11.avsc").read_text())
    old_parsed = fastavro.parse_schema(codec._inline(old, "", codec._DEFS, set()))
    new_fields = {f["name"] for f in codec.standalone_schema(name)["fields"]} - {f["name"] for f in old["fields"]}
    assert new_fields >= {"expected_loading_ms", "expected_arrival_ms"}
    record = {k: v for k, v in SAMPLES[name]().items() if k not in new_fields}
    decoded = schemas.decode(name, schemas.encode(name, record, writer_schema=old_parsed))
    assert all(decoded[f] is None for f in new_fields)
    assert {k: decoded[k] for k in record} == record
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schemas.parsed_schema(name), SAMPLES[name]())
    buf.seek(0)
    as_old = fastavro.schemaless_reader(buf, schemas.parsed_schema(name), old_parsed)
    assert set(as_old) == {f["name"] for f in old["fields"]}
