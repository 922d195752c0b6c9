"""Synthetic ICS2-style traffic with planted risk scenarios: generator.traffic.generate().

Modules: data (static tables), world (traders, lanes, conveyances, identifiers), schedule (when
vessels, flights and ferries are expected and actually leave and arrive), consignments (one
shipment and its honest corrections), events (DCSA container events), scenarios (one
function per planted scenario of docs/scenarios.md), traffic (the orchestration and the files).
"""
