"""Data contracts of the input streams: one Great Expectations suite per stream, as JSON.

    schemas/expectations/<stream>.json    the suites (generated, committed; the contract)
    schemas/expectations/build.py         builds them from transforms/codes.py, the Avro enums and
                                          transforms/validation.py (python -m schemas.expectations.build)
    schemas/expectations/gx_custom.py     the ISO 6346 check-digit expectation GE lacks

Each suite validates the stream's *flat view* (transforms.expectations.flat_rows): one row per
record (per goods item for declarations, per line for manifests) with a `record_index` column.
Two evaluators read the same JSON: Great Expectations (pipelines/quality.py: replay, reports,
Data Docs) and the fast batch evaluator for the live job (transforms.expectations). Loading a
suite needs no GE.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parent
STREAMS = ("declarations", "manifests", "container_events", "control_results")


def suite_path(stream: str) -> Path:
    if stream not in STREAMS:
        raise KeyError(f"unknown stream {stream!r}; known: {', '.join(STREAMS)}")
    return SUITE_DIR / f"{stream}.json"


@lru_cache(maxsize=None)
def _load(stream: str) -> str:
    return suite_path(stream).read_text()


def load_suite(stream: str) -> dict:
    """The committed suite of a stream as a JSON dict (a fresh copy each call)."""
    return json.loads(_load(stream))
