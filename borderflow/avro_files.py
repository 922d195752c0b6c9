"""Reading Avro object container files that may be damaged (a traffic folder, an archive part).

fastavro stops at the first bad byte with an error that does not name the file (`EOFError`,
`UnicodeDecodeError`, `MemoryError` on a random length, "read length must be non-negative").
`read_records` keeps every block it can decode, skips a damaged block to the next sync marker,
and returns each unreadable stretch as an `Unreadable` with the file, the byte offset and the
number of records read before it, for a dead letter.

    records, unreadable = read_records("traffic/declarations.avro")
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import fastavro


@dataclass(frozen=True)
class Unreadable:
    path: str
    offset: int  # byte offset where the damage starts
    records_before: int  # records read from the file before it
    reason: str
    raw: bytes  # the bytes skipped, kept whole for the dead letter

    def describe(self) -> str:
        return (f"{self.path}: unreadable from byte {self.offset} (after record {self.records_before}): "
                f"{self.reason}")


class CorruptAvroFile(ValueError):
    """A file none of whose records can be read, or read where damage is not tolerated."""


def _reason(exc: BaseException) -> str:
    kind = type(exc).__name__ if type(exc).__module__ == "builtins" else f"{type(exc).__module__}.{type(exc).__name__}"
    text = " ".join(str(exc).split())
    return f"{kind}: {text}"[:300] if text else kind


def read_records(path) -> tuple[list[dict], list[Unreadable]]:
    """Every record of the file that can be decoded, and the stretches that cannot.

    A file whose header cannot be read is one Unreadable (all of it); FileNotFoundError if the
    file is missing."""
    path = str(path)
    data = Path(path).read_bytes()
    try:
        reader = fastavro.block_reader(io.BytesIO(data))
        first_block = reader.fo.tell()
        sync = reader._header["sync"]
    # fastavro raises whatever the random bytes lead it to (ValueError, EOFError, MemoryError, ...)
    except Exception as exc:  # noqa: BLE001
        return [], [Unreadable(path, 0, 0, f"not an Avro container file ({_reason(exc)})", data)]
    header = data[:first_block]
    records: list[dict] = []
    unreadable: list[Unreadable] = []
    start = first_block  # where the blocks being read begin in `data`
    while start < len(data):
        blocks = fastavro.block_reader(io.BytesIO(header + data[start:]))
        position = start  # offset of the block being decoded
        try:
            for block in blocks:
                position = start + block.offset - first_block
                records.extend(list(block))
                position += block.size  # past its sync marker: where the next block starts
            break
        except Exception as exc:  # noqa: BLE001 - as above: damage shows as any exception
            resume = data.find(sync, position + 1)
            end = len(data) if resume < 0 else resume + len(sync)
            unreadable.append(Unreadable(path, position, len(records), _reason(exc), data[position:end]))
            start = end
    return records, unreadable


def read_all_records(path) -> list[dict]:
    """All records, or CorruptAvroFile naming the file and where the damage starts."""
    records, unreadable = read_records(path)
    if unreadable:
        raise CorruptAvroFile(unreadable[0].describe())
    return records
