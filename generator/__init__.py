"""Synthetic ICS2-style traffic with planted risk scenarios: generator.traffic.generate().

Modules: data (static tables), world (traders, lanes, conveyances, identifiers), consignments
(one shipment and its honest corrections), events (DCSA container events), scenarios (one
function per planted scenario of docs/scenarios.md), traffic (the orchestration and the files).
"""
