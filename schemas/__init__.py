"""Avro schemas of every stream and output, and the codec that reads and writes them.

The `.avsc` files in `avro/` are the contract between producers, the live job, the replay
pipelines and analysts' tools. `codec` parses each of them once, at import.
"""
from schemas.codec import (  # noqa: F401
    DecodeError,
    SCHEMA_NAMES,
    STREAM_SCHEMAS,
    decode,
    encode,
    fingerprint,
    parsed_schema,
    read_avro_file,
    register_writer_schema,
    standalone_schema,
    write_avro_file,
)
