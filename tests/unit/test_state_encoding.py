"""How the live job keeps a check's state in Flink (jobs.functions.encode_state / decode_state):
every state the checks write goes out as marshal bytes and comes back equal, and a job whose every
step starts from the decoded bytes (no Python state cache: every read a cache miss) decides
exactly as the reference runner does."""
from __future__ import annotations

import pickle

from hypothesis import given, settings

from jobs.functions import decode_state, encode_state, split_decode, split_encode
from tests.unit.test_ledger import messy_streams
from transforms import topology
from transforms.runner import Runner


class FromStoredState:
    """A check that gets its state as Flink would give it back: written as RunKeyedCheck writes it
    (split_encode; a step that only held an input reuses the rest of the state as last written),
    then decoded. A step that says it only held an input but changed more would lose that change
    here, and decide differently from the reference runner."""

    def __init__(self, check, written: list):
        self.check, self.name, self.written = check, check.name, written
        self.owns = getattr(check, "owns", None)
        self._rest: dict[int, bytes | None] = {}  # id of a state handed out -> its rest as written

    def key_of(self, kind, record):
        return self.check.key_of(kind, record)

    def held_units(self, state):
        return self.check.held_units(state)

    def _stored(self, given, step):
        if step.state is None or step.unchanged:
            return step
        rest = self._rest.get(id(given)) if step.held and step.state is given else None
        encoded, _ = split_encode(step.state, rest)
        self.written.append(encoded)
        state, rest = split_decode(encoded)
        # what Flink gives back is what the check wrote (a wrong Step.held breaks this at once)
        assert state == step.state, f"{self.name}: the stored state differs from the step's"
        self._rest[id(state)] = rest
        step.state = state
        return step

    def on_event(self, state, kind, record, ctx):
        return self._stored(state, self.check.on_event(state, kind, record, ctx))

    def on_timer(self, state, timestamp_ms, ctx):
        return self._stored(state, self.check.on_timer(state, timestamp_ms, ctx))


def _run(inputs, ooo, wrap=None):
    written: list = []
    checks = [wrap(c, written) for c in topology.CHECKS] if wrap else None
    assessor = wrap(topology.ASSESSOR, written) if wrap else None
    runner = Runner(now_ms=lambda: 0, out_of_orderness_ms=ooo, checks=checks, assessor=assessor)
    for kind, record, t in inputs:
        runner.feed(kind, record, t)
    return runner.finish(), written


@settings(max_examples=40, deadline=None)
@given(messy_streams())
def test_decisions_from_stored_state_equal_the_runners(stream):
    inputs, ooo = stream
    reference, _ = _run(inputs, ooo)
    stored, written = _run(inputs, ooo, FromStoredState)
    assert stored == reference
    # every state the checks write takes the fast path (marshal), none falls back to pickle
    assert written and all(isinstance(w, bytes) for w in written)


def test_holding_an_input_writes_the_inbox_with_the_rest_as_last_written():
    state = {"decls": {"D1": {"first": 1}}, "expire": 9, "inbox": []}
    value, rest = split_encode(state)
    back, back_rest = split_decode(value)
    assert back == state and back_rest == rest
    back["inbox"].append([5, "declaration", {"declaration_id": "D2"}])
    held, _ = split_encode(back, back_rest)
    assert decode_state(held) == back
    # the rest is what it was: a change to it that a held step made would not be written
    back["expire"] = 10
    assert decode_state(split_encode(back, back_rest)[0])["expire"] == 9


def test_equal_after_a_round_trip_and_shared_objects_stay_shared():
    entry = {"id": "D1", "hs4": ["8471"], "first": 1, "done": False}
    state = {"decls": {"D1": entry}, "pending": [[5, "D1"]], "by_house": {"H1": entry}, "inv": [],
             "tags": frozenset({"a"}), "pair": (1, 2.5), "none": None}
    back = decode_state(encode_state(state))
    assert back == state
    assert back["decls"]["D1"] is back["by_house"]["H1"]


class Opaque:
    def __eq__(self, other):
        return isinstance(other, Opaque)


def test_a_state_marshal_cannot_write_is_kept_as_the_object():
    state = {"x": Opaque()}
    assert encode_state(state) is state  # PyFlink pickles it, as before
    assert decode_state(pickle.loads(pickle.dumps(encode_state(state)))) == state


def test_states_of_savepoints_written_before_the_encoding_still_load():
    legacy = {"decls": {}, "pending": [], "expire": 7}  # what PyFlink unpickles from an old savepoint
    assert decode_state(legacy) is legacy
    import marshal

    one_dict = {"decls": {}, "inbox": [[1, "declaration", {}]], "expire": 7}  # marshal, before the split
    assert decode_state(marshal.dumps(one_dict)) == one_dict
