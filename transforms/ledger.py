"""Nothing lost: where every accepted input record ends, counted by the stage that holds it.

Every input message ends as exactly one of: a dead letter (intake, with its reason), part of
an assessment or of a cross-check, or a unit still held in keyed state (pending). To count that
without counting a record twice (a declaration goes to four keyed stages), each kind of record
has ONE owner stage that accounts for it:

| stream | unit | owner | final dispositions |
| --- | --- | --- | --- |
| declarations | message | AssessDeclaration | assessed, withdrawn, invalidation, duplicate, late |
| manifests | manifest line | CrossCheckConsignment | cross_checked, superseded, duplicate, over_capacity |
| container_events | event | CrossCheckContainer | cross_checked, not_actual, duplicate, over_capacity |
| control_results | message | none (the live checks do not use them) | not_used |

A record whose owner finds no key for it (a manifest line without house document, an event
without container) ends as `no_key`.

An owner's Step carries `ledger`, a dict disposition -> count, where PENDING is a signed change
of the units held in state: +1 when a unit is stored, -n when n held units reach their final
disposition. So for every stream, at every moment:

    units accepted = sum of final dispositions + pending

`held_units(check, state)` counts the units a key's state really holds, so tests check the
pending count against the state itself. `late` records are also routed as dead letters (kind
LATE) with the reason: they arrived after the decision they could have changed.
"""
from __future__ import annotations

from collections import Counter

from transforms.state_machine import CONTAINER_EVENT, CONTROL_RESULT, DECLARATION, MANIFEST_LINE

PENDING = "pending"
# final dispositions
ASSESSED = "assessed"          # folded into the declaration's assessment (every version held at the decision)
WITHDRAWN = "withdrawn"        # held versions of a declaration that an INVALIDATION withdrew
INVALIDATION = "invalidation"  # the INVALIDATION message itself, applied
DUPLICATE = "duplicate"        # the same record again
LATE = "late"                  # after its declaration was decided or withdrawn: dead letter LATE
CROSS_CHECKED = "cross_checked"  # held for the whole time it could matter to a decision, then released
SUPERSEDED = "superseded"      # replaced by the carrier's later version of the same manifest
OVER_CAPACITY = "over_capacity"  # beyond a key's bound (MAX_LINES, MAX_EVENTS): not used
NOT_ACTUAL = "not_actual"      # a planned or estimated container event: only actual events are facts
NOT_USED = "not_used"          # no live check reads this kind
NO_KEY = "no_key"              # the owner found no key for it

FINAL = (ASSESSED, WITHDRAWN, INVALIDATION, DUPLICATE, LATE, CROSS_CHECKED, SUPERSEDED, OVER_CAPACITY,
         NOT_ACTUAL, NOT_USED, NO_KEY)

STREAM_OF_KIND = {
    DECLARATION: "declarations",
    MANIFEST_LINE: "manifests",
    CONTAINER_EVENT: "container_events",
    CONTROL_RESULT: "control_results",
}


def owner_stage(kind: str, stages) -> int | None:
    """Index in `stages` of the stage that accounts for `kind` (its `owns` attribute), else None."""
    for i, stage in enumerate(stages):
        if getattr(stage, "owns", None) == kind:
            return i
    return None


def unowned_disposition(kind: str, record: dict, owner) -> str | None:
    """NOT_USED when no stage owns `kind`, NO_KEY when the owner has no key for the record, else
    None (the owner accounts for it)."""
    if owner is None:
        return NOT_USED
    return None if owner.key_of(kind, record) else NO_KEY


def held_units(check, state) -> int:
    """Units of the check's owned kind that a key's state holds (0 for a non-owner)."""
    if state is None:
        return 0
    count = getattr(check, "held_units", None)
    return count(state) if count is not None else 0


class Ledger:
    """Per-stream counts: messages in, dead letters, units accepted and their dispositions."""

    def __init__(self):
        self.messages_in: Counter = Counter()
        self.dead_lettered: Counter = Counter()
        self.units_in: Counter = Counter()  # units reaching the owner (manifest lines for manifests)
        self.settled: dict[str, Counter] = {}

    def add(self, kind: str, entries: dict | None) -> None:
        if entries:
            self.settled.setdefault(STREAM_OF_KIND[kind], Counter()).update(entries)

    def pending(self, stream: str) -> int:
        return self.settled.get(stream, Counter())[PENDING]

    def final(self, stream: str) -> int:
        c = self.settled.get(stream, Counter())
        return sum(n for d, n in c.items() if d != PENDING)

    def unbalanced(self) -> list[str]:
        """Streams whose units in differ from final dispositions + pending (empty = balanced)."""
        streams = set(self.units_in) | set(self.settled)
        return sorted(s for s in streams if self.units_in[s] != self.final(s) + self.pending(s))

    def as_dict(self) -> dict:
        """{stream: {"units_in": n, disposition: n, ...}}, dispositions of 0 (a pending that
        went back to 0) left out."""
        return {s: {"units_in": self.units_in[s], **{d: n for d, n in sorted(self.settled.get(s, Counter()).items()) if n}}
                for s in sorted(set(self.units_in) | set(self.settled))}
