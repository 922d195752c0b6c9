"""The wiring of the risk logic, described once for every engine.

The PyFlink job (jobs/), the Beam replay (pipelines/) and the in-memory reference runner
(transforms/runner.py) all build this flow from `CHECKS`, `ASSESSOR` and `flatten_manifest`:

    declarations ─────────┬──────────────┬─────────────────┬──────────────────────┐
    manifests ─ flatten_manifest ─> lines │                 │                      │
    container events ─────│──────────────┼────────┐        │                      │
                          v              v        v        v                      │
               CrossCheckConsignment  CrossCheckContainer  PartyBehaviour          │
               key: house document    key: container       key: consignor entity  │
               (manifest vs ENS,      (late filing, route, (split and test         │
                undeclared lines)      seals, reuse,        shipments)             │
                                       not seen)                                   │
                          └──────────────┴──── evidence ───┘                      │
                                                 v                                 v
                                   AssessDeclaration  key: declaration_id (or "HOUSE:" + house document)
                                   at the decision deadline: indicators + rules + evidence
                                   + random selection + model -> ONE RiskAssessment

Every box is a `KeyedCheck` (transforms.state_machine): `key_of` routes an input, `on_event` and
`on_timer` return Step(state, outputs, timers). Evidence from the checks goes to the assessor as
kind EVIDENCE (keyed by ASSESSOR.key_of). Control results are not used by the live checks yet
(they feed model training).

The check objects are stateless (state lives in the engine), so one instance serves every key
and every parallel subtask; they are picklable.
"""
from __future__ import annotations

from transforms import intake
from transforms.assessment import DeclarationAssessor
from transforms.checks import ConsignmentCheck, ContainerCheck, PartyBehaviourCheck

# Kind of a raw manifest record before flattening (same value as transforms.intake.MANIFEST).
MANIFEST = "manifest"

CHECKS = [ConsignmentCheck(), ContainerCheck(), PartyBehaviourCheck()]
ASSESSOR = DeclarationAssessor()
# kind -> the stage that accounts for it in the ledger (transforms.ledger); kinds missing: unused.
OWNER_OF_KIND = {stage.owns: stage for stage in (*CHECKS, ASSESSOR) if getattr(stage, "owns", None)}


def read_by_checks(stream: str) -> bool:
    """Whether records of an input stream reach any check: the streams of owned kinds, and
    manifests through their lines. Control results do not (they feed model training); in the job
    they are counted and go no further, and their event time must not hold back the checks'."""
    kind = intake.STREAMS[stream][0]
    return kind == MANIFEST or kind in OWNER_OF_KIND


_MANIFEST_FIELDS = ("manifest_id", "transport_mode", "conveyance_ref", "port_of_loading", "port_of_discharge",
                    "expected_loading_ms", "expected_arrival_ms",
                    "filed_at_ms")


def flatten_manifest(manifest: dict) -> list[dict]:
    """One dict per manifest line: the ManifestLine fields plus the manifest-level fields
    manifest_id, transport_mode, conveyance_ref, port_of_loading, port_of_discharge, filed_at_ms
    (and carrier_id, voyage). The input is not modified."""
    common = {f: manifest.get(f) for f in _MANIFEST_FIELDS}
    common["carrier_id"] = manifest.get("carrier_id")
    common["voyage"] = manifest.get("voyage")
    return [{**line, **common} for line in manifest.get("lines") or ()]
