"""Fuzz targets for the decoders: each takes raw fuzz bytes, builds a bad input from them and
feeds it to one decoder. Only the decoder's declared error may come out:

    codec          schemas.codec.decode              -> DecodeError
    intake         transforms.intake.decode_input    -> RejectedInput
    dcsa           transforms.dcsa.from_dcsa         -> DcsaError

The bytes are read as instructions (ByteReader, in the manner of atheris' FuzzedDataProvider), so
the same targets run under atheris (coverage-guided, tests/fuzz/run_fuzz.py) and hypothesis
(`st.binary()`, the short run in the test suite). Inputs start from valid seeds (records of every
stream, single-object encoded; DCSA events) and get: truncation, bit flips, inserted, overwritten
and appended bytes, another schema's fingerprint, varints made huge; fields of the wrong type,
huge strings and numbers, unicode tricks (bidi overrides, zero-width, homoglyphs, lone
surrogates, NUL), deep nesting and duplicated keys.

Besides "declared errors only", the intake target checks two promises around a record it accepts:
the batch evaluator (transforms.expectations) does not raise on it, and a name carrying an
invisible or bidi character is flagged by the data contract.
"""
from __future__ import annotations

import copy
import json
import math

from schemas import codec
from transforms import dcsa, intake
from transforms.expectations import expectation_failures

from tests.unit.fixtures import records as R

# --- reading instructions from the fuzz bytes ------------------------------------------------------


class ByteReader:
    """Consume fuzz bytes as small decisions; past the end every read returns its minimum."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int(self, n: int) -> int:
        """An int in 0..n-1 (n <= 65536)."""
        if n <= 1:
            return 0
        return ((self.byte() << 8) | self.byte()) % n if n > 256 else self.byte() % n

    def choice(self, options):
        return options[self.int(len(options))]

    def bytes(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def left(self) -> bool:
        return self.pos < len(self.data)


# --- seeds -----------------------------------------------------------------------------------------

SEED_RECORDS = {
    "declarations": [R.declaration(), R.declaration(notify_party=R.party("Notify GmbH", "DE"), containers=[], seals=[],
                                                     transport_mode="AIR", itinerary=["CN", "DE"])],
    "manifests": [R.manifest()],
    "container_events": [R.container_event(), R.container_event(event_type="TRANSPORT", event_type_code="ARRI",
                                                                equipment_reference=None, empty_indicator=None)],
    "control_results": [R.control_result(), R.control_result(finding="NO_FINDING", seizure_category=None)],
}
SEED_MESSAGES = [(stream, codec.encode(codec.STREAM_SCHEMAS[stream], rec))
                 for stream, recs in SEED_RECORDS.items() for rec in recs]
SEED_DCSA = [
    {"eventID": "3cecb101-7a1a-43a4-9d62-e88a131651e2", "eventType": "EQUIPMENT",
     "eventCreatedDateTime": "2021-01-09T14:12:56+01:00", "eventDateTime": "2021-01-09T13:41:00+01:00",
     "eventClassifierCode": "ACT", "equipmentEventTypeCode": "LOAD", "equipmentReference": "APZU4812090",
     "emptyIndicatorCode": "LADEN", "eventLocation": {"UNLocationCode": "NLRTM"},
     "transportCall": {"transportCallID": "123e4567-e89b-12d3-a456-426614174000", "modeOfTransport": "VESSEL",
                       "UNLocationCode": "NLRTM", "vessel": {"vesselIMONumber": "9321483"}},
     "seals": [{"sealNumber": "CN4471203", "sealSource": "CUS", "sealType": "BLT"}],
     "documentReferences": [{"documentReferenceType": "TRD", "documentReferenceValue": "MAEU245889100"}]},
    {"eventID": "e2", "eventType": "TRANSPORT", "eventCreatedDateTime": "2021-01-09T14:12:56Z",
     "eventDateTime": "2021-01-09T14:00:00Z", "eventClassifierCode": "ACT", "transportEventTypeCode": "ARRI",
     "transportCall": {"transportCallID": "tc1", "modeOfTransport": "VESSEL", "location": {"UNLocationCode": "DEHAM"}}},
]

# --- nasty values ----------------------------------------------------------------------------------

UNICODE_TRICKS = [
    "Acme\u202eTrading",  # right-to-left override
    "Ac\u200bme",  # zero-width space
    "\u0410cme Trading",  # Cyrillic A: a homoglyph
    "Acme\u2066Ltd\u2069",  # bidi isolate
    "\ufeffAcme",  # byte-order mark
    "Acme\x00Ltd",  # NUL
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\ud800",  # lone surrogate (cannot be encoded as UTF-8)
    "\U0001f600" * 3,
    "",
    " ",
]
HUGE_NUMBERS = [2**31, -2**31 - 1, 2**63 - 1, -2**63, 2**64, 10**400, float("inf"), float("-inf"), float("nan"),
                1e308, -0.0, 5e-324]


def nasty_value(r: ByteReader):
    kind = r.int(12)
    if kind == 0:
        return None
    if kind == 1:
        return r.choice([True, False])
    if kind == 2:
        return r.choice(HUGE_NUMBERS)
    if kind == 3:
        return r.choice(UNICODE_TRICKS)
    if kind == 4:
        return "X" * r.choice([101, 1000, 100_000, 2_000_000])  # huge strings
    if kind == 5:
        return []
    if kind == 6:
        return {}
    if kind == 7:
        deep: object = "x"
        for _ in range(r.choice([10, 100, 5000])):
            deep = [deep]
        return deep
    if kind == 8:
        return r.bytes(r.int(16)).decode("latin-1")
    if kind == 9:
        return r.int(1000) - 500
    if kind == 10:
        return [nasty_value(r) for _ in range(r.int(4))]
    return {"k": nasty_value(r)}


# --- byte-level mutations --------------------------------------------------------------------------

def mutate_bytes(data: bytes, r: ByteReader) -> bytes:
    buf = bytearray(data)
    for n in range(1 + r.int(4)):
        if n and not r.left():
            break
        op = r.int(8)
        pos = r.int(len(buf) + 1) if buf else 0
        if op == 0:  # truncate
            del buf[pos:]
        elif op == 1 and buf:  # flip a bit
            buf[min(pos, len(buf) - 1)] ^= 1 << r.int(8)
        elif op == 2:  # insert bytes
            buf[pos:pos] = r.bytes(1 + r.int(8))
        elif op == 3:  # overwrite bytes
            chunk = r.bytes(1 + r.int(8))
            buf[pos:pos + len(chunk)] = chunk
        elif op == 4:  # another schema's fingerprint
            buf[2:10] = codec.fingerprint(r.choice(list(codec.STREAM_SCHEMAS.values())))
        elif op == 5:  # a huge varint (long / string length / array count)
            buf[pos:pos] = b"\xff" * (1 + r.int(10)) + b"\x01"
        elif op == 6:  # append garbage
            buf += r.bytes(1 + r.int(32))
        else:  # a negative length (zig-zag odd) somewhere
            buf[pos:pos] = bytes([1 + 2 * r.int(60)])
    return bytes(buf)


# --- structural mutations of a JSON object ---------------------------------------------------------

def _containers(obj, path=()):
    """(path, container) for every dict and list inside obj (obj itself included), down to
    depth 20 (the harness must not recurse without bound over the deep nesting it planted)."""
    yield path, obj
    if len(path) >= 20:
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                yield from _containers(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, (dict, list)):
                yield from _containers(v, path + (i,))


def mutate_json(event: dict, r: ByteReader) -> object:
    event = json.loads(json.dumps(event))  # a fresh copy of the seed
    for n in range(1 + r.int(4)):
        if n and not r.left():
            break
        places = list(_containers(event))
        _, target = r.choice(places)
        keys = list(target.keys()) if isinstance(target, dict) else list(range(len(target)))
        op = r.int(4)
        if op == 0 and keys:  # delete a field
            del target[r.choice(keys)]
        elif op in (1, 2) and keys:  # a field of the wrong type or an absurd value
            target[r.choice(keys)] = nasty_value(r)
        elif isinstance(target, dict):  # an unexpected field
            target[r.choice(["eventID", "extra", "eventType", "seals", "\u202e"])] = nasty_value(r)
    if r.int(16) == 15:  # (not 0: an exhausted reader gives 0s, and must not pick this every time)
        return nasty_value(r)  # not an object at all
    return event


def _dcsa_text(event: object, r: ByteReader) -> bytes:
    try:
        text = json.dumps(event, allow_nan=True)
    except (ValueError, RecursionError, TypeError):
        text = "{"
    if r.int(4) == 0:  # a duplicated key: json.loads keeps the last
        text = text.replace('{"eventID"', '{"eventID": "dup", "eventID"', 1)
    data = text.encode("utf-8", "surrogatepass")
    return mutate_bytes(data, r) if r.int(3) == 0 else data


# --- the targets -------------------------------------------------------------------------------------

def target_codec(data: bytes) -> None:
    r = ByteReader(data)
    _, message = r.choice(SEED_MESSAGES)
    if r.int(8) == 0:
        message = r.bytes(r.int(512))  # raw bytes, no seed
    else:
        message = mutate_bytes(message, r)
    name = r.choice(list(codec.STREAM_SCHEMAS.values()))
    try:
        codec.decode(name, message)
    except codec.DecodeError:
        pass


def _record_with_nasty_strings(r: ByteReader) -> tuple[str, dict]:
    """A schema-valid record whose strings carry tricks (valid Avro: these must decode)."""
    stream = r.choice(list(SEED_RECORDS))
    record = copy.deepcopy(r.choice(SEED_RECORDS[stream]))
    strings = [(holder, k) for _, holder in _containers(record) if isinstance(holder, dict)
               for k, v in holder.items() if isinstance(v, str)]
    for _ in range(1 + r.int(3)):
        holder, key = r.choice(strings)
        holder[key] = r.choice(UNICODE_TRICKS[:-4] + ["X" * 100_000, holder[key] * 2])
    return stream, record


def target_intake(data: bytes) -> None:
    r = ByteReader(data)
    mode = r.int(4)
    stream = r.choice(list(intake.STREAMS) + ["no_such_stream"])
    if mode == 0:
        _, payload = r.choice(SEED_MESSAGES)
        payload = mutate_bytes(payload, r)
    elif mode == 1:
        payload = _dcsa_text(mutate_json(r.choice(SEED_DCSA), r), r)
        stream = "container_events" if r.int(4) else stream
    elif mode == 2:
        stream, record = _record_with_nasty_strings(r)
        try:
            payload = codec.encode(codec.STREAM_SCHEMAS[stream], record)
        except (ValueError, UnicodeEncodeError):
            return  # a lone surrogate cannot even be written
    else:
        payload = r.bytes(r.int(1024))
    try:
        _, record, _ = intake.decode_input(stream, payload)
    except intake.RejectedInput:
        return
    failures = expectation_failures(stream, [record])  # must not raise
    names = [n for i, n, _ in failures]
    for field, value in _names_of(stream, record):
        if isinstance(value, str) and any(c in value for c in ("\u202e", "\u200b", "\u2066", "\ufeff", "\x00")):
            assert f"{stream}.{field}.invisible_characters" in names, (field, value, failures)


def _names_of(stream: str, record: dict):
    if stream == "declarations":
        for party, col in (("consignor", "consignor_name"), ("consignee", "consignee_name"), ("notify_party", "notify_name")):
            if isinstance(record.get(party), dict):
                yield col, record[party].get("name")
    elif stream == "manifests":
        for line in record.get("lines") or []:
            yield "consignee_name", line.get("consignee_name")


def target_dcsa(data: bytes) -> None:
    r = ByteReader(data)
    event = mutate_json(r.choice(SEED_DCSA), r)
    try:
        out = dcsa.from_dcsa(event)
    except dcsa.DcsaError:
        return
    # accepted: it must be a valid ContainerEvent record (the promise of from_dcsa)
    codec.encode("ContainerEvent", out)
    assert all(not isinstance(v, float) or math.isfinite(v) for v in out.values())


TARGETS = {"codec": target_codec, "intake": target_intake, "dcsa": target_dcsa}
