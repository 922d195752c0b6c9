"""Event-to-assessment latency: which acknowledged input record made an assessment due, and when.

The live job decides a declaration when its watermark passes the decision deadline (an event-time
timer). Its Kafka sources make one watermark per input partition, `max record timestamp seen -
out_of_orderness - 1` (Flink's bounded out-of-orderness), and the job's watermark is the minimum
over the partitions of the streams the checks read (jobs/sources.py, jobs/live_job.py; control
results do not count; a partition without records for the idle timeout drops out): pass only
those partitions' reports.
So an assessment with event time T (its deadline: RiskAssessment.event_time_ms) is due once every
input partition holds a record with timestamp > T + out_of_orderness. Its *triggering record* is
the last of those records to be acknowledged by the broker (the first qualifying record of each
partition, the latest of them in wall time): from that moment the job has all it needs to decide.

Latency = wall time the assessment is seen - wall time its triggering record was acknowledged.
Partitions that got no record at all are left out (the job treats them as idle after the idle
timeout); an assessment whose condition no acknowledged record meets has no trigger (it became due
through idleness or the end of input) and is not measured.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from typing import Iterable


class DueTimes:
    """Built from the producer's delivery reports: (topic, partition, offset, timestamp_ms, acked_at_s)."""

    def __init__(self, acks: Iterable[tuple[str, int, int, int, float]], out_of_orderness_ms: int):
        self.out_of_orderness_ms = out_of_orderness_ms
        by_partition: dict[tuple[str, int], list] = defaultdict(list)
        for topic, partition, offset, timestamp_ms, acked_at in acks:
            by_partition[(topic, partition)].append((offset, timestamp_ms, acked_at))
        # Per partition, in offset order (the order the job reads): the running maximum of the
        # timestamps (the partition's watermark follows it) and the ack time of each record.
        self._partitions = {}
        for key, records in by_partition.items():
            records.sort()
            running, acked, highest = [], [], None
            for _offset, ts, at in records:
                highest = ts if highest is None else max(highest, ts)
                running.append(highest)
                acked.append(at)
            self._partitions[key] = (running, acked)

    @property
    def partitions(self) -> list[tuple[str, int]]:
        return sorted(self._partitions)

    def trigger(self, due_ms: int) -> tuple[float, tuple[str, int]] | None:
        """(acked_at_s, (topic, partition)) of the record that made `due_ms` reachable by the
        watermark, or None if no acknowledged record did."""
        threshold = due_ms + self.out_of_orderness_ms
        latest = None
        for key, (running, acked) in self._partitions.items():
            i = bisect_right(running, threshold)  # first record with timestamp > threshold
            if i == len(running):
                return None
            if latest is None or acked[i] > latest[0]:
                latest = (acked[i], key)
        return latest
