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

# Schemas refer to named types defined in other files (Party, TransportMode): see _inline.
_FILES = [
    ("Party", "party.avsc"),
    ("Declaration", "declaration.avsc"),
    ("Manifest", "manifest.avsc"),
    ("ContainerEvent", "container_event.avsc"),
    ("ControlResult", "control_result.avsc"),
    ("RiskAssessment", "risk_assessment.avsc"),
    ("DeadLetter", "dead_letter.avsc"),
    ("ControlUpdate", "control_update.avsc"),
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


_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = ("record", "error", "enum", "fixed")


def _fullname(name: str, namespace: str) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _namespace_of(fullname: str) -> str:
    return fullname.rsplit(".", 1)[0] if "." in fullname else ""


def _collect_defs(node: Any, namespace: str, defs: dict[str, Any]) -> None:
    """Every named type defined in a raw schema: fullname -> raw definition."""
    if isinstance(node, list):
        for n in node:
            _collect_defs(n, namespace, defs)
    elif isinstance(node, dict):
        t = node.get("type")
        if t in _NAMED:
            full = _fullname(node["name"], node.get("namespace", namespace))
            if full in defs and defs[full] is not node:
                raise ValueError(f"named type {full} is defined twice")
            defs[full] = node
            for f in node.get("fields", ()):
                _collect_defs(f["type"], _namespace_of(full), defs)
        elif t == "array":
            _collect_defs(node["items"], namespace, defs)
        elif t == "map":
            _collect_defs(node["values"], namespace, defs)
        elif isinstance(t, (dict, list)):
            _collect_defs(t, namespace, defs)


def _inline(node: Any, namespace: str, defs: dict[str, Any], defined: set[str]) -> Any:
    """A raw schema made standalone: the first use of a named type defined in another file is
    replaced by its definition (as the Avro spec's canonical form requires), later uses stay
    references. Names are written in full, so a definition reads the same wherever it lands."""
    if isinstance(node, str):
        if node in _PRIMITIVES:
            return node
        full = _fullname(node, namespace)
        if full in defined:
            return full
        if full not in defs:
            return node  # unknown name: fastavro reports it
        return _inline(defs[full], _namespace_of(full), defs, defined)
    if isinstance(node, list):
        return [_inline(n, namespace, defs, defined) for n in node]
    if not isinstance(node, dict):
        return node
    t = node.get("type")
    if t in _NAMED:
        full = _fullname(node["name"], node.get("namespace", namespace))
        defined.add(full)
        out = {k: v for k, v in node.items() if k != "namespace"}
        out["name"] = full
        if "fields" in node:
            out["fields"] = [
                {**f, "type": _inline(f["type"], _namespace_of(full), defs, defined)} for f in node["fields"]
            ]
        return out
    if t == "array":
        return {**node, "items": _inline(node["items"], namespace, defs, defined)}
    if t == "map":
        return {**node, "values": _inline(node["values"], namespace, defs, defined)}
    return {**node, "type": _inline(t, namespace, defs, defined)}


def _load_all() -> tuple[dict[str, Any], dict[str, Any]]:
    raws = {name: json.loads((AVRO_DIR / filename).read_text()) for name, filename in _FILES}
    defs: dict[str, Any] = {}
    for raw in raws.values():
        _collect_defs(raw, "", defs)
    parsed = {name: fastavro.parse_schema(_inline(raw, "", defs, set())) for name, raw in raws.items()}
    return parsed, defs


# Every schema is parsed standalone (types from other files inlined), so that fingerprints are the
# standard CRC-64-AVRO of the full schema and container-file headers are readable by any Avro tool.
_PARSED, _DEFS = _load_all()
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
    """Accept messages written with another version of a schema; returns its fingerprint.

    `schema` is the raw (JSON-decoded) writer schema; it may refer by name to types defined in
    the other .avsc files (e.g. borderflow.Party), as the files themselves do.
    """
    if name not in _PARSED:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    parsed = fastavro.parse_schema(_inline(schema, "", _DEFS, set()))
    fp = _fp(parsed)
    _WRITERS[fp] = (name, parsed)
    return fp


_CURRENT_FP = {name: _fp(p) for name, p in _PARSED.items()}
for _name, _fpv in _CURRENT_FP.items():
    _WRITERS[_fpv] = (_name, _PARSED[_name])

# Earlier versions of each schema (avro/history/<file stem>-<version>.avsc, EVOLUTION.md): their
# messages, still in archives and on topics written before an upgrade, keep decoding.
_STEM_TO_NAME = {Path(f).stem: name for name, f in _FILES}
for _path in sorted((AVRO_DIR / "history").glob("*.avsc")):
    register_writer_schema(_STEM_TO_NAME[_path.stem.rsplit("-", 1)[0]], json.loads(_path.read_text(encoding="utf-8")))


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


def _plain(node: Any) -> Any:
    # fastavro's "__..." bookkeeping keys dropped, dict keys sorted; lists (a record's fields, a
    # union's branches) keep their order
    if isinstance(node, dict):
        return {k: _plain(node[k]) for k in sorted(node) if not k.startswith("__")}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def standalone_schema(name: str) -> dict:
    """The current schema of `name` as plain JSON: standalone (types of other files inlined), keys
    sorted, no fastavro bookkeeping. What container-file headers carry and what a schema registry
    is given; its Parsing Canonical Form has the fingerprint `fingerprint(name)`."""
    return _plain(parsed_schema(name))


def write_avro_file(path: str | Path, name: str, records: Iterable[dict], sync_marker: bytes | None = None) -> int:
    """Write records to an Avro object container file (deflate); returns how many were written.

    The bytes depend only on the arguments: the header's schema is the standalone schema of
    `name` as plain JSON with sorted keys (no fastavro bookkeeping keys, no dependence on dict
    order or PYTHONHASHSEED), and the 16-byte sync marker is `sync_marker` or, when None, derived
    from the schema name (fastavro would draw it at random). Any Avro reader reads the file: the
    marker is only required to be 16 bytes that the writer repeats after every block.
    """
    import hashlib

    if sync_marker is None:
        sync_marker = hashlib.sha256(f"borderflow/{name}".encode()).digest()[:16]
    if not isinstance(sync_marker, (bytes, bytearray)) or len(sync_marker) != 16:
        raise ValueError(f"sync_marker must be 16 bytes, got {sync_marker!r}")

    count = 0

    def counted():
        nonlocal count
        for r in records:
            count += 1
            yield r

    with open(path, "wb") as out:
        fastavro.writer(out, standalone_schema(name), counted(), codec="deflate", sync_marker=bytes(sync_marker))
    return count


def read_avro_file(path: str | Path) -> Iterator[dict]:
    """Iterate the records of an Avro object container file."""
    with open(path, "rb") as f:
        yield from fastavro.reader(f)
