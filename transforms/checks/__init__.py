"""The end-to-end cross-checks: keyed state machines (transforms.state_machine.KeyedCheck).

| check | key | inputs | evidence codes |
| --- | --- | --- | --- |
| `ConsignmentCheck` (CrossCheckConsignment) | house document | declarations, manifest lines | MANIFEST_*_MISMATCH, UNDECLARED_CONSIGNMENT |
| `ContainerCheck` (CrossCheckContainer) | container number | declarations, container events | LATE_FILING, ROUTE_DEVIATION, SEAL_TAMPERING, CONTAINER_REUSE, CONTAINER_NOT_SEEN |
| `PartyBehaviourCheck` (PartyBehaviour) | consignor entity | declarations | SPLIT_SHIPMENT, TEST_SHIPMENT |

Common shape: inputs are stored in compact plain dicts; each declaration is evaluated ONCE, on an
event-time timer one millisecond before its decision deadline (first filed_at + decision_delay),
against the latest version the key holds and everything seen so far, so arrival order does not
matter and the evidence reaches the assessor (AssessDeclaration) before it decides. Evidence
carries `declaration_version`, so the assessor can ignore evidence about a superseded version. A
cleanup timer clears the key (state None) once nothing in it can matter any more.
"""
from transforms.checks.consignment import ConsignmentCheck
from transforms.checks.container import ContainerCheck
from transforms.checks.party import PartyBehaviourCheck

__all__ = ["ConsignmentCheck", "ContainerCheck", "PartyBehaviourCheck"]
