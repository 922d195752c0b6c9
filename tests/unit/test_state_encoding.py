"""How the live job keeps a check's state in Flink (jobs.functions.encode_state / decode_state):
every state the checks write goes out as marshal bytes and comes back equal, and a job whose every
step starts from the decoded bytes (no Python state cache: every read a cache miss) decides
exactly as the reference runner does."""
from __future__ import annotations

import pickle

from hypothesis import given, settings

from jobs.functions import decode_state, encode_state
from tests.unit.test_ledger import messy_streams
from transforms import topology
from transforms.runner import Runner


class FromStoredState:
    """A check that gets its state as Flink would give it back: encoded, then decoded."""

    def __init__(self, check, written: list):
        self.check, self.name, self.written = check, check.name, written
        self.owns = getattr(check, "owns", None)

    def key_of(self, kind, record):
        return self.check.key_of(kind, record)

    def held_units(self, state):
        return self.check.held_units(state)

    def _stored(self, state):
        if state is None:
            return None
        encoded = encode_state(state)
        self.written.append(encoded)
        return decode_state(encoded)

    def on_event(self, state, kind, record, ctx):
        return self.check.on_event(self._stored(state), kind, record, ctx)

    def on_timer(self, state, timestamp_ms, ctx):
        return self.check.on_timer(self._stored(state), timestamp_ms, ctx)


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
