"""Keyed state stays bounded under a steady stream: the in-memory reference runner (the checks the
job runs, transforms/runner.py) over generated traffic spanning far more event-time days than the
checks' state horizon. The checks clear their own state with event-time timers (no state TTL:
PyFlink 2.2 thread mode cannot build one inside a TaskManager), so once a horizon of traffic has
gone by, what is forgotten each day balances what comes in: live keys and serialized state level
off while the inputs keep growing. tests/integration/test_faults.py checks the same on the
cluster, through the job's checkpointed state size."""
from __future__ import annotations

from benchmarks.state_memory import keyed_state_bytes, traffic_inputs
from generator.traffic import DEFAULT_START_MS
from transforms import lifecycle
from transforms.rules import load_ruleset
from transforms.runner import Runner

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
# A steady stream (no peak day) over 80 days, 50 declarations a day: tests/integration/test_faults.py
# publishes the same one to the cluster.
STEADY_DAYS, STEADY_PER_DAY, STEADY_SEED = 80, 50, 21
GROWTH_LIMIT = 1.3  # the last third of the span holds at most this much more than the first horizon's end


def state_horizon_ms(rs) -> int:
    """How long after a declaration's first filing some check may still keep state about it, by the
    rule set (transforms.lifecycle), for filings that give no expected times (the generator's): the
    lifecycle closes state_retention after the expected arrival (the mode's stand-in loading +
    transit, capped at max_lifecycle), and the key is a tombstone for another state_retention
    (the assessor, CrossCheckConsignment, CrossCheckContainer's declarations); PartyBehaviour keeps
    declarations for max(split, test window) + retention, CrossCheckContainer for the reuse window
    (declarations) or the lookback (events) + retention."""
    longest = max(min(after + transit, rs.max_lifecycle_ms) for after, transit in rs.lifecycle_modes.values())
    windows = max(rs.param("SPLIT_SHIPMENT", "window_ms"), rs.param("TEST_SHIPMENT", "window_ms"),
                  rs.param("CONTAINER_REUSE", "window_ms"), rs.param("LATE_FILING", "lookback_ms"),
                  rs.param("CONTAINER_NOT_SEEN", "window_before_ms"))
    return max(longest + 2 * rs.state_retention_ms, windows + rs.state_retention_ms)


def at_horizon_and_last_third(samples: list[dict], span_ms: int, horizon_ms: int, key) -> tuple[float, list[dict]]:
    """(the state at the end of the first horizon, the samples of the last third of the span), from
    samples with "t" (event time since the start, ms); `key(sample)` is the measure. Traffic has a
    weekly rhythm (quiet weekends), so "at the end of the first horizon" is the largest value of
    the horizon's last week, not one day's."""
    week = [key(s) for s in samples if horizon_ms - WEEK_MS <= s["t"] <= horizon_ms]
    last_third = [s for s in samples if s["t"] >= span_ms * 2 // 3]
    assert week and max(week) > 0 and last_third, (week, len(last_third))
    return max(week), last_third


def test_keyed_state_levels_off_after_the_horizon():
    rs = load_ruleset()
    horizon = state_horizon_ms(rs)
    assert STEADY_DAYS * DAY_MS >= 2.2 * horizon, "the stream must span well over two horizons"
    inputs = traffic_inputs(STEADY_DAYS, STEADY_PER_DAY, STEADY_SEED, peak_day=None)

    runner = Runner(rs)
    samples, day, seen = [], 0, 0
    lifecycles = 0  # declarations answered on filing (one PRE_LOADING assessment each)
    for kind, record, t in inputs:
        while t - DEFAULT_START_MS >= (day + 1) * DAY_MS and day < STEADY_DAYS:  # state at each day's end
            day += 1
            sizes = [keyed_state_bytes(per_key) for per_key in runner.states]
            lifecycles += sum(1 for a in runner.assessments[seen:] if a["phase"] == lifecycle.PRE_LOADING)
            seen = len(runner.assessments)
            samples.append({"t": day * DAY_MS, "inputs": runner.inputs, "keys": runner.live_keys(),
                            "bytes": sum(sizes), "per_check": sizes, "assessed": lifecycles})
        runner.feed(kind, record, t)
    assessments = runner.finish()

    # the default rule set: a sea lifecycle (48 h to loading + 30 days transit) + 2 x 2-day retention = 36 days
    print(f"\nstate horizon {horizon / DAY_MS:g} days")
    print(f"{'day':>4}{'inputs':>8}{'assessed':>9}{'keys':>7}{'bytes':>10}  per check "
          f"({', '.join(s.name for s in runner.stages)})")
    for s in samples:
        print(f"{s['t'] // DAY_MS:>4}{s['inputs']:>8}{s['assessed']:>9}{s['keys']:>7}{s['bytes']:>10}  {s['per_check']}")

    span = STEADY_DAYS * DAY_MS
    for name, key in (("keys", lambda s: s["keys"]), ("bytes", lambda s: s["bytes"]),
                      *((stage.name, lambda s, i=i: s["per_check"][i]) for i, stage in enumerate(runner.stages))):
        at_horizon, last = at_horizon_and_last_third(samples, span, horizon, key)
        peak = max(key(s) for s in last)
        print(f"{name}: {at_horizon} by day {horizon // DAY_MS}, at most {peak} ({peak / at_horizon:.2f}x) "
              f"from day {last[0]['t'] // DAY_MS} to {STEADY_DAYS}")
        assert peak <= GROWTH_LIMIT * at_horizon, (name, at_horizon, peak)
        # it is a plateau reached from below: two days in, far less was held
        early = next(s for s in samples if s["t"] >= 2 * DAY_MS)
        assert key(early) < 0.5 * at_horizon, (name, key(early), at_horizon)
    first = next(s for s in samples if s["t"] >= horizon)
    # ... while the inputs and the assessments keep growing linearly
    assert last[-1]["inputs"] >= 0.9 * (last[-1]["t"] / first["t"]) * first["inputs"]
    assert last[-1]["assessed"] - last[0]["assessed"] >= 0.8 * (last[-1]["t"] - last[0]["t"]) // DAY_MS * STEADY_PER_DAY
    # and at the end of the input every timer fires: nothing is left
    assert runner.live_keys() == 0
    answered = {a["declaration_id"] for a in assessments if a["phase"] == lifecycle.PRE_LOADING}
    closed = {a["declaration_id"] for a in assessments if a["phase"] == lifecycle.PRE_ARRIVAL}
    assert len(answered) >= STEADY_DAYS * STEADY_PER_DAY
    assert len(closed) >= 0.9 * len(answered)  # all but the withdrawn ones reach the pre-arrival assessment
