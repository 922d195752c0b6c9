"""The one shape every stateful check has, so that any engine can run it.

A check is a pure state machine over keyed events in event time:

    on_event(state, kind, record, ctx) -> Step(state, outputs, timers)
    on_timer(state, timestamp_ms, ctx)  -> Step(state, outputs, timers)

`state` is a plain picklable value (dict, list, tuple, None): the engine stores it per key
(Flink ValueState, a dict in the Beam replay or in tests). A returned state of None means
"clear the key". `timers` are event-time instants (epoch ms) at which the engine must call
on_timer for this key once the watermark passes them. `outputs` are plain dicts.
`ledger` and `late` account for the inputs a check owns (transforms.ledger).

`key_of(kind, record)` says under which keys an input must be seen (a declaration with two
containers goes to both container keys); an empty list means this check ignores the input.

The Flink job (jobs/) and the replay (pipelines/) are thin adapters that only route inputs by
key, keep state and fire timers; the logic lives in the check.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

# Kinds of input a check can receive.
DECLARATION = "declaration"
MANIFEST_LINE = "manifest_line"
CONTAINER_EVENT = "container_event"
CONTROL_RESULT = "control_result"
EVIDENCE = "evidence"


@dataclass
class Step:
    state: Any
    outputs: list = field(default_factory=list)
    timers: list = field(default_factory=list)
    # Only from the stage that owns a kind of record (transforms.ledger): disposition -> count,
    # "pending" a signed change of the units held.
    ledger: dict | None = None
    # Records that came too late to change anything: (kind, record, reason), for the dead letters.
    late: list | None = None
    # True when `state` is the state given, not modified: the engine may skip writing it back.
    unchanged: bool = False
    # True when the step changed the state given only by appending to its "inbox" (an input held
    # for its time, checks._common.buffer_input): the engine may write the inbox alone and reuse
    # the rest as last written (a busy consignor's history is tens of KB; its input, one).
    held: bool = False


@dataclass(frozen=True)
class Context:
    """What a check may read besides its own state: versioned, slowly changing inputs."""

    ruleset: Any  # transforms.rules.RuleSet
    reference: Any  # transforms.reference.ReferenceData
    # The trained model in use (transforms.scoring.ModelScorer); None = the assessor's own default.
    model: Any = None
    # Wall clock, only for processing-time stamps; decisions never depend on it.
    now_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))


class KeyedCheck(Protocol):
    name: str

    def key_of(self, kind: str, record: dict) -> list[str]: ...

    def on_event(self, state: Any, kind: str, record: dict, ctx: Context) -> Step: ...

    def on_timer(self, state: Any, timestamp_ms: int, ctx: Context) -> Step: ...


def evidence(
    declaration_id: str | None,
    house_document: str,
    code: str,
    detail: str,
    event_time_ms: int,
    kind: str = "CROSS_CHECK",
) -> dict:
    """One fired indicator about one declaration (or, with declaration_id None, a consignment).

    `code` names an indicator of the rule set, which gives its weight; `kind` is the scorecard
    kind (RULE, INDICATOR, CROSS_CHECK).
    """
    return {
        "declaration_id": declaration_id,
        "house_document": house_document,
        "code": code,
        "detail": detail,
        "event_time_ms": event_time_ms,
        "kind": kind,
    }
