"""One key of one stage, run by the reference runner: the batch form of event-time processing.

The Beam replay groups each stage's inputs by key and runs the key's inputs in event-time order
here. transforms/runner.py has no per-key entry point (its Runner routes every input to every
key of every stage and feeds the checks' evidence to the assessor at once), so this module drives
an unmodified `transforms.runner.Runner` with a one-key view of a single stage: the watermark,
the timer heap, timer de-duplication and the end-of-input flush are the Runner's own code, not a
copy.

Why per key gives the live result. The live job (and the Runner over the whole stream) fires a
key's timer at T when the GLOBAL watermark (largest event time seen - out_of_orderness - 1)
passes T. The input arrives in event-time order, so when the next input of this key (time t) is
processed, the global watermark is t - out_of_orderness - 1: exactly what a Runner fed only this
key's inputs computes. Timers between two inputs of the key fire before the later input in both.

Order of the assessor's inputs. Declarations arrive like any input (position: watermark
t - out_of_orderness - 1, then the input). Evidence is emitted by a check's timer at T and reaches
the assessor at once, i.e. when the watermark passes T, after the assessor's own timers before T
and before the assessor's timers at T (the checks fire first at equal instants): so an evidence
element carries the position (T, check index) and is fed after `advance(T - 1)`. Two evidence of
one key at the same instant from the same check on two keys (say both containers of a
declaration) come in key order; in the live job their order is the order the keys' timers were
registered. Only the `detail` text of a duplicated code can differ then, never a code or a score.

Positions (sortable tuples):
    input (declaration, manifest line, container event):  (t - ooo - 1, 1, order, stage)
    evidence emitted by a timer at T:                       (T, 0, stage, key, n)
    evidence emitted while handling an input (no check does that today):
                                                            (t - ooo - 1, 1, order, stage, n)
where `order` = (t, stream rank, file number, index in file, line number) is the arrival order.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from transforms.runner import Runner
from transforms.state_machine import EVIDENCE

TIMER, INPUT = 0, 1


class OneKey:
    """A check seen through one key: the engine already routed the inputs to this key with the
    check's own key_of, so every input is this key's. Records where each output was emitted."""

    def __init__(self, check, key: str, stage: int):
        self.check, self.key, self.stage = check, key, stage
        self.name = getattr(check, "name", type(check).__name__)
        self.emitted: list[tuple[tuple, dict]] = []
        self.current_order: tuple | None = None  # the input being handled
        self.current_watermark: int = 0
        self.owns = getattr(check, "owns", None)  # the ledger's owner of a kind (transforms.ledger)

    def key_of(self, kind: str, record: dict) -> list[str]:
        return [self.key]

    def on_event(self, state, kind, record, ctx):
        step = self.check.on_event(state, kind, record, ctx)
        for n, out in enumerate(step.outputs):
            self.emitted.append(((self.current_watermark, INPUT, self.current_order, self.stage, n), out))
        return step

    def on_timer(self, state, timestamp_ms, ctx):
        step = self.check.on_timer(state, timestamp_ms, ctx)
        for n, out in enumerate(step.outputs):
            self.emitted.append(((timestamp_ms, TIMER, self.stage, self.key, n), out))
        return step


class _Nothing:
    """An assessor slot that takes nothing (the check stage runs alone)."""

    name = "nothing"

    def key_of(self, kind, record):
        return []


def input_position(order: tuple, out_of_orderness_ms: int, stage: int) -> tuple:
    return (order[0] - out_of_orderness_ms - 1, INPUT, order, stage)


def run_check_for_key(check, stage: int, key: str, inputs: Iterable[tuple], ruleset, reference,
                      out_of_orderness_ms: int, now_ms=None) -> tuple[list[tuple[tuple, dict]], Runner]:
    """Run one check on one key. `inputs`: (order, kind, record), any order (sorted here by
    order). Returns ([(position, output)], the finished Runner, whose `live_keys()` must be 0)."""
    one = OneKey(check, key, stage)
    runner = Runner(ruleset, reference, out_of_orderness_ms, checks=[one], assessor=_Nothing(), now_ms=now_ms,
                    account_inputs=False)
    for order, kind, record in sorted(inputs, key=lambda x: x[0]):
        one.current_order = order
        one.current_watermark = order[0] - out_of_orderness_ms - 1
        runner.feed(kind, record, order[0])
    runner.finish()
    return one.emitted, runner


def run_assessor_for_key(assessor, key: str, inputs: Iterable[tuple], ruleset, reference,
                         out_of_orderness_ms: int, now_ms=None) -> tuple[list[dict], Runner]:
    """Run the assessor on one key. `inputs`: (position, kind, record): declarations at
    input_position(...), evidence at the position the check stage gave it. Returns
    (assessments, the finished Runner)."""
    one = OneKey(assessor, key, stage=-1)
    runner = Runner(ruleset, reference, out_of_orderness_ms, checks=[], assessor=one, now_ms=now_ms,
                    account_inputs=False)
    for pos, kind, record in sorted(inputs, key=lambda x: x[0]):
        if pos[1] == TIMER:
            t = pos[0]
            runner.advance(t - 1)  # the assessor's timers before T fire first, those at T after
            runner.feed(kind, record, t)
        else:
            runner.feed(kind, record, pos[2][0])
    return runner.finish(), runner


def evidence_input(position: tuple, evidence: dict) -> tuple:
    return position, EVIDENCE, evidence


def run_keyed_in_memory(records: Iterable[tuple[tuple, str, dict]], checks, assessor, ruleset, reference,
                        out_of_orderness_ms: int, now_ms=None) -> Iterator[dict]:
    """The whole flow, key by key, without an engine: what the Beam replay computes (for tests
    and for small replays). `records`: (order, kind, record) with manifests already flattened."""
    from transforms.state_machine import DECLARATION

    records = list(records)
    assessor_inputs: dict[str, list] = {}
    for stage, check in enumerate(checks):
        by_key: dict[str, list] = {}
        for order, kind, record in records:
            for key in check.key_of(kind, record):
                by_key.setdefault(key, []).append((order, kind, record))
        for key, inputs in by_key.items():
            emitted, _ = run_check_for_key(check, stage, key, inputs, ruleset, reference, out_of_orderness_ms, now_ms)
            for pos, ev in emitted:
                for akey in assessor.key_of(EVIDENCE, ev):
                    assessor_inputs.setdefault(akey, []).append(evidence_input(pos, ev))
    for order, kind, record in records:
        if kind == DECLARATION:
            for akey in assessor.key_of(kind, record):
                assessor_inputs.setdefault(akey, []).append(
                    (input_position(order, out_of_orderness_ms, len(checks)), kind, record))
    for key, inputs in assessor_inputs.items():
        assessments, _ = run_assessor_for_key(assessor, key, inputs, ruleset, reference, out_of_orderness_ms, now_ms)
        yield from assessments


def ordered_inputs(inputs: Iterable[tuple[str, dict, int]]) -> list[tuple[tuple, str, dict]]:
    """(kind, record, event_time_ms) in arrival order (the reference runner's input) ->
    (order, kind, record) with manifests flattened: the keyed form of the same stream. The keyed
    run equals the Runner's when the arrival order is event-time order."""
    from transforms import topology
    from transforms.state_machine import MANIFEST_LINE

    out = []
    for i, (kind, record, t) in enumerate(inputs):
        if kind == topology.MANIFEST:
            for n, line in enumerate(topology.flatten_manifest(record)):
                out.append(((t, 0, 0, i, n), MANIFEST_LINE, line))
        else:
            out.append(((t, 0, 0, i, 0), kind, record))
    return out
