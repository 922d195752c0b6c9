"""borderflow.latency: the record that makes an assessment due, against a simulation of the job's
watermark (per partition: max timestamp - out_of_orderness - 1; the job's: the minimum)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.latency import DueTimes

OOO = 10


def _simulated_due_at(acks, due_ms, ooo):
    """Replay the acks in wall-time order and return the first ack time at which the minimum of the
    per-partition watermarks reaches due_ms (None if it never does)."""
    partitions = {(t, p) for t, p, *_ in acks}
    highest = {}
    for topic, partition, _offset, ts, at in sorted(acks, key=lambda a: (a[4], a[2])):
        key = (topic, partition)
        highest[key] = max(highest.get(key, ts), ts)
        if len(highest) == len(partitions) and min(h - ooo - 1 for h in highest.values()) >= due_ms:
            return at
    return None


def test_the_last_partition_to_pass_the_deadline_triggers():
    acks = [("declarations", 0, 0, 100, 1.0), ("declarations", 0, 1, 200, 2.0),
            ("manifests", 0, 0, 150, 1.5), ("manifests", 0, 1, 300, 3.0)]
    # due 120: declarations passes 130 at its record of 200 (t=2.0), manifests at 150 (t=1.5)
    assert DueTimes(acks, OOO).trigger(120) == (2.0, ("declarations", 0))
    # due 140: manifests' 150 is not > 150; its 300 (t=3.0) is
    assert DueTimes(acks, OOO).trigger(140) == (3.0, ("manifests", 0))
    # due 195: declarations never passes 205
    assert DueTimes(acks, OOO).trigger(195) is None


def test_a_record_at_exactly_deadline_plus_out_of_orderness_does_not_trigger():
    acks = [("a", 0, 0, 110, 1.0), ("a", 0, 1, 111, 2.0)]
    assert DueTimes(acks, OOO).trigger(100) == (2.0, ("a", 0))


def test_a_late_record_does_not_lower_the_partition_watermark():
    acks = [("a", 0, 0, 500, 1.0), ("a", 0, 1, 50, 2.0)]
    assert DueTimes(acks, OOO).trigger(200) == (1.0, ("a", 0))


def test_offset_order_is_read_order_even_when_acks_arrive_in_another_order():
    acks = [("a", 0, 1, 500, 1.0), ("a", 0, 0, 20, 2.0)]
    assert DueTimes(acks, OOO).trigger(5) == (2.0, ("a", 0))  # offset 0 (ts 20 > 15), acked at 2.0


ack_lists = st.lists(
    st.tuples(st.sampled_from(["declarations", "manifests"]), st.integers(0, 2), st.integers(0, 400)),
    min_size=1, max_size=40,
).map(lambda rows: [(t, p, i, ts, float(i)) for i, (t, p, ts) in enumerate(rows)])


@settings(max_examples=300, deadline=None)
@given(ack_lists, st.integers(-20, 420))
def test_trigger_matches_a_simulated_watermark(acks, due_ms):
    # Offsets increase with ack time here (one producer per partition acks in order).
    got = DueTimes(acks, OOO).trigger(due_ms)
    assert (got[0] if got else None) == _simulated_due_at(acks, due_ms, OOO)
