"""The assessment lifecycle of a consignment: its milestones in event time, and what they mean.

ICS2 assesses a consignment as its data arrive, not once after a fixed delay:

- **pre-loading** (PRE_LOADING): on receipt of the first filing, within seconds, from the filing
  itself (rules, indicators, watch list, model, random selection). Air cargo must be answered
  before it is loaded (PLACI): assessment complete, request for information, high-risk cargo
  screening, or do not load.
- **re-assessment** (RE_ASSESSMENT): whenever new evidence (a manifest line, a container event,
  the consignor's other filings, an amendment, a retraction) changes the score or the outcome.
- **pre-arrival** (PRE_ARRIVAL): the final assessment `final_before_arrival` before the expected
  arrival states the control recommendation at the first point of entry; evidence arriving after
  it (a delayed voyage) still re-assesses until the lifecycle closes.

The milestones come from the consignment's own filing: `expected_loading_ms` and
`expected_arrival_ms` (ENS data elements), else per-mode stand-ins of the rule set
(`lifecycle.modes`: loading after filing, transit). Absence checks (a container never seen, a
manifest line never declared) are decided `absence_after_loading` after the expected loading,
never later than the final assessment. An arrival is taken at most `max_lifecycle` after the
first filing. The lifecycle closes `state_retention` after the expected arrival; the state is kept as a tombstone for another `state_retention`, then cleared.
"""
from __future__ import annotations

from typing import NamedTuple

PRE_LOADING, RE_ASSESSMENT, PRE_ARRIVAL = "PRE_LOADING", "RE_ASSESSMENT", "PRE_ARRIVAL"

# Outcome severity: an outcome is never lowered by evidence alone (transforms.assessment).
SEVERITY = {"ASSESSMENT_COMPLETE": 0, "REQUEST_FOR_INFORMATION": 1, "HIGH_RISK_SCREENING": 2,
            "CONTROL_ON_ARRIVAL": 2, "DO_NOT_LOAD": 3}


class Milestones(NamedTuple):
    filed: int  # first filing
    loading: int  # expected loading (departure) at the place of loading
    arrival: int  # expected arrival at the first place of arrival
    absence: int  # when absence checks are decided
    final: int  # the pre-arrival assessment
    close: int  # the lifecycle ends: later data are late


def milestones(first_filed_ms: int, record: dict, ruleset) -> Milestones:
    """The milestones of a declaration (or a manifest line: the same fields, manifest level),
    first filed at `first_filed_ms`, from its latest version `record`."""
    after, transit = ruleset.lifecycle_modes.get(record.get("transport_mode") or "SEA",
                                                 ruleset.lifecycle_modes["SEA"])
    loading = record.get("expected_loading_ms")
    arrival = record.get("expected_arrival_ms")
    if loading is None:
        loading = first_filed_ms + after if arrival is None else min(first_filed_ms + after, arrival)
    if arrival is None or arrival < loading:
        arrival = loading + transit
    # A filing's claim is capped, so that state and replay margins stay bounded.
    arrival = min(arrival, first_filed_ms + ruleset.max_lifecycle_ms)
    loading = min(loading, arrival)
    final = max(first_filed_ms, arrival - ruleset.final_before_arrival_ms)
    absence = min(max(first_filed_ms, loading + ruleset.absence_after_loading_ms), final)
    return Milestones(first_filed_ms, loading, arrival, absence, final, arrival + ruleset.state_retention_ms)


def horizon_ms(ruleset) -> int:
    """The longest a key may hold a declaration after its first filing: the longest lifecycle,
    then retention as open and as a tombstone (replay margins, orphan evidence)."""
    return ruleset.max_lifecycle_ms + 2 * ruleset.state_retention_ms
