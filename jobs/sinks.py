"""Output sinks of the live job. A sink receives the assessment, alert and dead-letter streams
as Python dicts and decides where they go; the job graph does not change with the sink."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Iterator, Protocol

from schemas import codec

OUTPUTS = {"assessments": "RiskAssessment", "alerts": "RiskAssessment", "dead_letters": "DeadLetter"}


class Sink(Protocol):
    def attach(self, outputs: dict) -> None: ...


class LineFileSink:
    """Flink's file sink, one base64 Avro single-object message per line, a folder per output.

    Used by the embedded run: `read_outputs` turns the folders back into records."""

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)

    def attach(self, outputs: dict) -> None:
        from pyflink.common import Encoder, Types
        from pyflink.datastream.connectors.file_system import FileSink, OutputFileConfig

        from jobs.functions import EncodeRecord

        for name, stream in outputs.items():
            sink = (
                FileSink.for_row_format(str(self.out_dir / name), Encoder.simple_string_encoder())
                .with_output_file_config(OutputFileConfig.builder().with_part_prefix(name).build())
                .build()
            )
            stream.map(EncodeRecord(OUTPUTS[name]), output_type=Types.STRING()).name(f"Encode{name.title()}") \
                .sink_to(sink).name(f"Write{name.title()}")

    def read_outputs(self, name: str) -> Iterator[dict]:
        folder = self.out_dir / name
        for part in sorted(folder.rglob(f"{name}*")):
            if part.is_file() and not part.name.startswith("."):
                with open(part, "rb") as f:
                    for line in f:
                        if line.strip():
                            yield codec.decode(OUTPUTS[name], base64.b64decode(line))
