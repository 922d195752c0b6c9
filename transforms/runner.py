"""The reference in-memory runner: the topology run on one process, in event time.

What the Flink job does with keyed state and timers, written plainly so that unit tests and
calibration can run the real logic on a recorded stream without an engine:

- every input goes to each check of `topology.CHECKS` under each key its `key_of` gives, and to
  the assessor (declarations); state is a dict per (check, key);
- the watermark is the largest event time seen minus `out_of_orderness_ms` minus 1 (Flink's
  bounded-out-of-orderness strategy), advanced before each input is processed; timers whose time
  the watermark has reached fire in (time, stage) order, the checks before the assessor at the same
  instant (as in Flink, where an upstream operator's timer outputs precede the watermark it
  forwards downstream);
- outputs of the checks are evidence, fed to the assessor at once; outputs of the assessor are
  the assessments;
- at the end the watermark goes to +infinity and every timer fires, so all state is cleared.

Inputs are (kind, record, event_time_ms) in roughly event-time order; kind "manifest" (a whole
manifest) is flattened into manifest lines here, as the job's decoder does.

    assessments = run_in_memory(inputs)                      # default rule set and reference
    runner = Runner(ruleset, reference); runner.feed(...); runner.finish(); runner.states
"""
from __future__ import annotations

import heapq
import time
from typing import Iterable

from transforms import ledger, topology
from transforms.reference import load_reference
from transforms.rules import load_ruleset
from transforms.control import ControlPlane
from transforms.state_machine import EVIDENCE, MANIFEST_LINE

DEFAULT_OUT_OF_ORDERNESS_MS = 10 * 60_000


class Runner:
    """Keyed state, timers and a watermark for CHECKS + ASSESSOR, in one process."""

    def __init__(self, ruleset=None, reference=None, out_of_orderness_ms: int = DEFAULT_OUT_OF_ORDERNESS_MS,
                 checks=None, assessor=None, now_ms=None, evidence_sink: list | None = None,
                 control_updates: Iterable[dict] = (), model=None, account_inputs: bool = True):
        rs = ruleset if ruleset is not None else load_ruleset()
        if isinstance(rs, str):
            rs = load_ruleset(rs)
        ref = reference if reference is not None else load_reference()
        # Rule-set and model versions by event time, as the job's broadcast state holds them.
        self.plane = ControlPlane(rs, ref, model, now_ms or (lambda: int(time.time() * 1000)))
        for update in control_updates:
            self.plane.apply(update)
        self.checks = list(checks if checks is not None else topology.CHECKS)
        self.assessor = assessor if assessor is not None else topology.ASSESSOR
        self.stages = self.checks + [self.assessor]
        self.out_of_orderness_ms = out_of_orderness_ms
        self.states: list[dict] = [{} for _ in self.stages]  # per stage: key -> state
        self._timers: list = []  # heap of (ts, stage, seq, key)
        self._timer_set: set = set()  # (stage, key, ts): one timer per key and instant, as in Flink
        self._seq = 0
        self.watermark = -(2**63)
        self._max_time = -(2**63)
        self.assessments: list[dict] = []
        self.evidence_sink = evidence_sink
        self.inputs = 0
        self.late_inputs = 0  # behind the watermark on arrival (processed anyway, counted)
        # Where every input ends (transforms.ledger). A runner that sees one key of one stage (the
        # Beam replay) leaves counting inputs to its caller: account_inputs=False.
        self.ledger = ledger.Ledger()
        self.late: list[tuple[str, dict, str]] = []  # (kind, record, reason): the job's LATE dead letters
        self._account_inputs = account_inputs
        self._owners = {kind: ledger.owner_stage(kind, self.stages) for kind in ledger.STREAM_OF_KIND}

    # -- feeding ----------------------------------------------------------------------------------
    def feed(self, kind: str, record: dict, event_time_ms: int) -> None:
        self.inputs += 1
        if event_time_ms > self._max_time:
            # Flink's bounded-out-of-orderness watermark: max event time - out_of_orderness - 1.
            # Advanced before the element is processed, so an input sees the state as of its time.
            self._max_time = event_time_ms
            self.advance(event_time_ms - self.out_of_orderness_ms - 1)
        if event_time_ms <= self.watermark:
            self.late_inputs += 1
        if kind == topology.MANIFEST:
            for line in topology.flatten_manifest(record):
                self._route(MANIFEST_LINE, line, event_time_ms)
        else:
            self._route(kind, record, event_time_ms)

    def _route(self, kind: str, record: dict, t: int) -> None:
        if self._account_inputs and kind in ledger.STREAM_OF_KIND:  # (tests feed evidence directly)
            self.ledger.units_in[ledger.STREAM_OF_KIND[kind]] += 1
            owner = self._owners[kind]
            lost = ledger.unowned_disposition(kind, record, None if owner is None else self.stages[owner])
            if lost:
                self.ledger.add(kind, {lost: 1})
        ctx = self.plane.context_at(t)
        for stage, check in enumerate(self.stages):
            for key in check.key_of(kind, record):
                self._apply(stage, key, check.on_event(self.states[stage].get(key), kind, record, ctx), t)

    def _apply(self, stage: int, key: str, step, t: int) -> None:
        """Store a step's state and timers; its outputs carry time t, as Flink stamps them."""
        if step.ledger:
            self.ledger.add(self.stages[stage].owns, step.ledger)
        if step.late:
            self.late.extend(step.late)
        states = self.states[stage]
        if step.state is None:
            states.pop(key, None)
        else:
            states[key] = step.state
        for ts in step.timers:
            tk = (stage, key, ts)
            if tk not in self._timer_set:
                self._timer_set.add(tk)
                self._seq += 1
                heapq.heappush(self._timers, (ts, stage, self._seq, key))
        if not step.outputs:
            return
        if stage == len(self.stages) - 1:
            self.assessments.extend(step.outputs)
            return
        for ev in step.outputs:
            if self.evidence_sink is not None:
                self.evidence_sink.append(ev)
            for key2 in self.assessor.key_of(EVIDENCE, ev):
                last = len(self.stages) - 1
                ctx = self.plane.context_at(t)
                self._apply(last, key2, self.assessor.on_event(self.states[last].get(key2), EVIDENCE, ev, ctx), t)

    # -- time -------------------------------------------------------------------------------------
    def advance(self, watermark: float) -> None:
        """Move the watermark forward and fire every timer it passes, in time order."""
        if watermark <= self.watermark:
            return
        self.watermark = watermark
        timers = self._timers
        while timers and timers[0][0] <= watermark:
            ts, stage, _, key = heapq.heappop(timers)
            self._timer_set.discard((stage, key, ts))
            check = self.stages[stage]
            self._apply(stage, key, check.on_timer(self.states[stage].get(key), ts, self.plane.context_at(ts)), ts)

    def finish(self) -> list[dict]:
        """End of input: watermark to +infinity; every timer fires. Returns the assessments."""
        self.advance(float("inf"))
        return self.assessments

    def live_keys(self) -> int:
        return sum(len(s) for s in self.states)

    def held_units(self) -> dict[str, int]:
        """Units each owner's state really holds, per stream: what ledger.pending must equal."""
        held = {}
        for kind, owner in self._owners.items():
            if owner is not None:
                check = self.stages[owner]
                held[ledger.STREAM_OF_KIND[kind]] = sum(ledger.held_units(check, st) for st in self.states[owner].values())
        return held


def run_in_memory(inputs: Iterable[tuple[str, dict, int]], ruleset=None, reference=None,
                  out_of_orderness_ms: int = DEFAULT_OUT_OF_ORDERNESS_MS, evidence_sink: list | None = None,
                  now_ms=None, control_updates: Iterable[dict] = ()) -> list[dict]:
    """Run the topology over (kind, record, event_time_ms) inputs; returns the assessments.
    `control_updates` are rule-set/model versions (transforms.control) effective by event time."""
    runner = Runner(ruleset, reference, out_of_orderness_ms, now_ms=now_ms, evidence_sink=evidence_sink,
                    control_updates=control_updates)
    for kind, record, t in inputs:
        runner.feed(kind, record, t)
    return runner.finish()
