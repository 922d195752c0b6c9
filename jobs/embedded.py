"""The live job on its embedded default: a local mini-cluster, traffic from a directory,
outputs to Avro files and a summary. What `borderflow run` does."""
from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from pathlib import Path

from borderflow.summary import summarise
from jobs import live_job
from jobs.config import JobConfig
from jobs.sinks import LineFileSink
from jobs.sources import CollectionSource, event_times, timed_traffic_messages
from schemas import codec
from transforms import control
from transforms.assessment import raises_alert
from transforms.rules import load_ruleset

log = logging.getLogger("borderflow.run")


def run_embedded(traffic_dir: str | Path, out_dir: str | Path, config: JobConfig,
                 extra_messages: list[tuple[str, bytes]] = (), control_updates: list[dict] = ()) -> dict:
    """Run the job over a traffic directory (plus any extra raw messages, e.g. broken ones)
    and write assessments.avro, alerts.avro, dead_letters.avro and summary.json to out_dir.
    `control_updates` (transforms.control) are rule-set/model versions published to the run."""
    traffic_dir, out = Path(traffic_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log.info("reading the traffic in %s", traffic_dir)
    unreadable = []
    timed = timed_traffic_messages(traffic_dir, unreadable)
    messages = [(stream, payload) for _, stream, payload in timed] + list(extra_messages)
    times = [t for t, _, _ in timed]
    times += event_times(list(extra_messages), times[-1] if times else 0)
    events_in = Counter(stream for stream, _ in messages)
    sink = LineFileSink(out / "sink")
    shutil.rmtree(sink.out_dir, ignore_errors=True)
    control_messages = [(control.STREAM_OF_KIND[u["kind"]], control.encode_update(u)) for u in control_updates]
    log.info("%d messages; starting the embedded Flink mini-cluster and the job (the JVM takes some 10-20 s to "
             "start, then the job runs at a few hundred events/s)", len(messages))
    stats = live_job.run(CollectionSource(messages, control_messages, times), sink, config, events_in=len(messages))
    log.info("job finished in %.1f s; writing the outputs to %s", stats.wall_seconds, out)

    assessments = sorted(sink.read_outputs("assessments"), key=lambda a: (a["event_time_ms"], a["assessment_id"]))
    alerts = [a for a in assessments if raises_alert(a)]
    dead_letters = list(sink.read_outputs("dead_letters"))
    # The job saw a damaged stretch of a traffic file as one undecodable message: say which file and where.
    by_raw = {u.raw: u.describe() for u in unreadable}
    for d in dead_letters:
        if d["error_kind"] == "DECODE" and d["raw"] in by_raw:
            d["reason"] = f"{by_raw[d['raw']]}; {d['reason']}"
    codec.write_avro_file(out / "assessments.avro", "RiskAssessment", assessments)
    codec.write_avro_file(out / "alerts.avro", "RiskAssessment", alerts)
    codec.write_avro_file(out / "dead_letters.avro", "DeadLetter", dead_letters)
    shutil.rmtree(sink.out_dir)

    truth_file = traffic_dir / "ground_truth.json"
    truth = json.loads(truth_file.read_text()) if truth_file.exists() else None
    ruleset = load_ruleset(config.ruleset)
    summary = summarise(events_in, assessments, dead_letters, stats.wall_seconds, truth, ruleset.alert_score)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
