"""Load, encode and decode the project's Avro records.

Wire format: Avro single-object encoding (spec 1.x, "Single object encoding"): two marker bytes
C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema, then the binary
body. Each message names its writer schema, so a reader resolves old and new writers against its
own schema (see schemas/EVOLUTION.md) without a registry service.

Files: Avro object container files (fastavro), readable by any Avro tool and by pyarrow users
through fastavro.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Iterable, Iterator

import fastavro
from fastavro.schema import fingerprint as _fingerprint
from fastavro.schema import to_parsing_canonical_form

AVRO_DIR = Path(__file__).resolve().parent / "avro"
MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8

# Order matters: later schemas refer to named types (Party, TransportMode) defined earlier.
_FILES = [
    ("Party", "party.avsc"),
    ("Declaration", "declaration.avsc"),
    ("Manifest", "manifest.avsc"),
    ("ContainerEvent", "container_event.avsc"),
    ("ControlResult", "control_result.avsc"),
    ("RiskAssessment", "risk_assessment.avsc"),
    ("DeadLetter", "dead_letter.avsc"),
]
SCHEMA_NAMES = tuple(name for name, _ in _FILES)

# Input streams (topic / file name) and the record each carries.
STREAM_SCHEMAS = {
    "declarations": "Declaration",
    "manifests": "Manifest",
    "container_events": "ContainerEvent",
    "control_results": "ControlResult",
}


class DecodeError(ValueError):
    """Bytes that are not a valid record of the expected schema."""


def _load_all() -> dict[str, Any]:
    named: dict[str, Any] = {}
    parsed: dict[str, Any] = {}
    for name, filename in _FILES:
        raw = json.loads((AVRO_DIR / filename).read_text())
        parsed[name] = fastavro.parse_schema(raw, named_schemas=named)
    return parsed


_PARSED = _load_all()
# Writer schemas known by fingerprint; (fingerprint -> (schema name, parsed writer schema)).
_WRITERS: dict[bytes, tuple[str, Any]] = {}


def _fp(parsed: Any) -> bytes:
    return bytes.fromhex(_fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))


def parsed_schema(name: str) -> Any:
    """The parsed current schema for a record name (e.g. "Declaration")."""
    try:
        return _PARSED[name]
    except KeyError:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}") from None


def fingerprint(name: str) -> bytes:
    """CRC-64-AVRO fingerprint of the current schema, as written in single-object headers."""
    return _CURRENT_FP[name]


def register_writer_schema(name: str, schema: dict) -> bytes:
    """Accept messages written with another version of a schema; returns its fingerprint."""
    named = {k: v for k, v in _PARSED.items()}
    parsed = fastavro.parse_schema(schema, named_schemas=named)
    fp = _fp(parsed)
    _WRITERS[fp] = (name, parsed)
    return fp


_CURRENT_FP = {name: _fp(p) for name, p in _PARSED.items()}
for _name, _fpv in _CURRENT_FP.items():
    _WRITERS[_fpv] = (_name, _PARSED[_name])


def encode(name: str, record: dict, writer_schema: Any = None) -> bytes:
    """Single-object encode a record with the current schema (or a given parsed writer schema)."""
    schema = writer_schema if writer_schema is not None else parsed_schema(name)
    fp = _CURRENT_FP[name] if writer_schema is None else _fp(writer_schema)
    buf = io.BytesIO()
    buf.write(MAGIC)
    buf.write(fp)
    fastavro.schemaless_writer(buf, schema, record)
    return buf.getvalue()


def decode(name: str, data: bytes) -> dict:
    """Decode one single-object-encoded record into the current schema of `name`.

    Raises DecodeError, with the problem in the message, for anything that is not a complete
    record of a known writer version of that schema.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError(f"{name}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < HEADER_SIZE or data[:2] != MAGIC:
        raise DecodeError(f"{name}: not Avro single-object encoded (missing C3 01 header)")
    writer = _WRITERS.get(data[2:HEADER_SIZE])
    if writer is None:
        raise DecodeError(f"{name}: unknown writer schema fingerprint {data[2:HEADER_SIZE].hex()}")
    writer_name, writer_schema = writer
    if writer_name != name:
        raise DecodeError(f"{name}: message was written as {writer_name}")
    body = io.BytesIO(data[HEADER_SIZE:])
    try:
        record = fastavro.schemaless_reader(body, writer_schema, parsed_schema(name))
    except Exception as exc:  # fastavro raises many types on corrupt input
        raise DecodeError(f"{name}: corrupt body: {type(exc).__name__}: {exc}") from None
    if body.tell() != len(data) - HEADER_SIZE:
        raise DecodeError(f"{name}: {len(data) - HEADER_SIZE - body.tell()} trailing bytes after record")
    return record


def write_avro_file(path: str | Path, name: str, records: Iterable[dict]) -> int:
    """Write records to an Avro object container file; returns how many were written."""
    count = 0

    def counted():
        nonlocal count
        for r in records:
            count += 1
            yield r

    with open(path, "wb") as out:
        fastavro.writer(out, parsed_schema(name), counted(), codec="deflate")
    return count


def read_avro_file(path: str | Path) -> Iterator[dict]:
    """Iterate the records of an Avro object container file."""
    with open(path, "rb") as f:
        yield from fastavro.reader(f)
