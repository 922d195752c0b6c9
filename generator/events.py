"""Container events as the carriers publish them: DCSA Track & Trace 2.2 EquipmentEvents.

Honest sea consignment filed at T, its container scheduled to be loaded at L (T + 24..96 h) on
voyage day d; the voyage (generator.schedule) leaves at ETD and arrives at ETA, both late by the
voyage's slip for a share of the voyages (S_load, S_arr: 6 h..3 days):

    GTOT  EMPTY  place of loading   STUF - 2..36 h      (empty box picked up at the depot)
    STUF  LADEN  place of loading   GTIN - 3..48 h      (stuffed and sealed: the declaration's seals)
    GTIN  LADEN  place of loading   L - 1..5 days       (gated in for the scheduled voyage)
    LOAD  LADEN  place of loading   L + S_load          (feeder or mother vessel)
    DISC  LADEN  hub                hub arrival + 1..12 h   (transshipment ports in the itinerary only)
    LOAD  LADEN  hub                hub departure - 2..10 h (onto the mother vessel, 1-4 days later)
    DISC  LADEN  place of unloading ETA + S_arr + 1..20 h
    GTOT  LADEN  place of unloading + 12 h..5 days

so a container's events span 3 to 8 weeks on the long routes (Asia: 20-40 days at sea), and the
ones before loading all come before the scheduled loading, even when the vessel is late. Times
are UTC instants written in the port's local time with its offset, as carriers do.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

from generator import data as D
from generator.consignments import MINUTE_MS, Consignment
from generator.schedule import Schedule
from generator.world import ID_NAMESPACE, World


def iso_local(ms: int, unlocode: str) -> str:
    """ISO 8601 date-time of an instant in the local time of a port, with the offset."""
    offset = D.US_PORT_OFFSET.get(unlocode, D.UTC_OFFSET_MIN.get(unlocode[:2], 0))
    local = datetime.fromtimestamp(ms / 1000, timezone.utc) + timedelta(minutes=offset)
    sign = "+" if offset >= 0 else "-"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


class EventFactory:
    def __init__(self, world: World, rng: random.Random, schedule: Schedule):
        self.w = world
        self.rng = rng
        self.sched = schedule

    def _call(self, svc, vessel, voyage: str, unlocode: str) -> dict:
        return {
            "transportCallID": str(uuid.uuid5(ID_NAMESPACE, f"{vessel.imo}/{voyage}/{unlocode}")),
            "carrierServiceCode": svc.code,
            "carrierVoyageNumber": voyage,
            "UNLocationCode": unlocode,
            "facilityTypeCode": "POTE",
            "modeOfTransport": "VESSEL",
            "vessel": {"vesselIMONumber": vessel.imo, "vesselName": vessel.name, "vesselFlag": vessel.flag,
                       "vesselOperatorCarrierCode": vessel.carrier, "vesselOperatorCarrierCodeListProvider": "NMFTA"},
        }

    def container_events(self, c: Consignment) -> list[tuple[int, dict]]:
        """(event time ms, DCSA event) for the container of a sea consignment, in time order."""
        kind = c.events.get("kind", "normal")
        if kind == "none" or not c.owns_events or not c.containers:
            return []
        r = self.rng
        svc = c.route
        v = self.sched.voyage(svc, c.day)
        mother, feeder = svc.mother(c.day), svc.feeder(c.day)
        first_vessel = feeder if svc.hub else mother
        first_voyage = svc.feeder_voyage(c.day) if svc.hub else svc.voyage(c.day)
        planned = c.load_ms  # the scheduled LOAD: the box is at the terminal for it
        load = planned + v.slip_load
        gtin = planned - r.randint(24 * 60, 5 * 24 * 60) * MINUTE_MS
        stuf = gtin - r.randint(3 * 60, 48 * 60) * MINUTE_MS
        gtot = stuf - r.randint(2 * 60, 36 * 60) * MINUTE_MS
        pol_call = self._call(svc, first_vessel, first_voyage, svc.pol)
        steps = [
            ("GTOT", gtot, svc.pol, "EMPTY", pol_call, "Empty depot"),
            ("STUF", stuf, svc.pol, "LADEN", pol_call, "Container freight station"),
            ("GTIN", gtin, svc.pol, "LADEN", pol_call, "Container terminal"),
            ("LOAD", load, svc.pol, "LADEN", pol_call, "Container terminal"),
        ]
        leg_start = v.atd  # the leg to the place of unloading starts at the last port of departure
        if svc.hub:
            steps.append(("DISC", v.hub_arr + r.randint(60, 12 * 60) * MINUTE_MS, svc.hub, "LADEN",
                          self._call(svc, first_vessel, first_voyage, svc.hub), "Transshipment terminal"))
            steps.append(("LOAD", v.hub_dep - r.randint(2 * 60, 10 * 60) * MINUTE_MS, svc.hub, "LADEN",
                          self._call(svc, mother, svc.voyage(c.day), svc.hub), "Transshipment terminal"))
            leg_start = v.hub_dep
        if kind == "deviation":
            # an unplanned call on the way, days before the arrival: discharged, then reloaded
            port = c.events["port"]
            leg = v.ata - leg_start
            base = leg_start + round(leg * r.uniform(0.25, 0.55) / MINUTE_MS) * MINUTE_MS
            stay = min(r.randint(6 * 60, 30 * 60) * MINUTE_MS, leg * 35 // 100)
            call = self._call(svc, mother, svc.voyage(c.day), port)
            steps.append(("DISC", base, port, "LADEN", call, "Container terminal"))
            steps.append(("LOAD", base + stay, port, "LADEN", call, "Container terminal"))
        pod_call = self._call(svc, mother, svc.voyage(c.day), svc.pod)
        disc = v.ata + r.randint(60, 20 * 60) * MINUTE_MS
        steps.append(("DISC", disc, svc.pod, "LADEN", pod_call, "Container terminal"))
        steps.append(("GTOT", disc + r.randint(12 * 60, 5 * 24 * 60) * MINUTE_MS, svc.pod, "LADEN", pod_call,
                      "Container terminal"))

        out = []
        prev = None
        seal_from = c.events.get("seal_from")  # index of the first step showing the changed seals
        for i, (code, t, loc, empty, call, place) in enumerate(steps):
            if prev is not None and t <= prev:
                t = prev + r.randint(5, 30) * MINUTE_MS
            prev = t
            seals = [] if empty == "EMPTY" else list(c.seals)
            if seal_from is not None and i >= seal_from:
                seals = list(c.events["new_seals"])
            docs = [{"documentReferenceType": "BKG", "documentReferenceValue": c.booking}]
            if empty == "LADEN":
                docs.append({"documentReferenceType": "TRD", "documentReferenceValue": c.master_document})
            event = {
                "eventID": self.w.uuid(),
                "eventType": "EQUIPMENT",
                "eventClassifierCode": "ACT",
                "eventCreatedDateTime": iso_local(t + r.randint(1, 25) * MINUTE_MS, loc),
                "eventDateTime": iso_local(t, loc),
                "equipmentEventTypeCode": code,
                "equipmentReference": c.containers[0],
                "ISOEquipmentCode": c.iso_type or "45G1",
                "emptyIndicatorCode": empty,
                "eventLocation": {"locationName": f"{place}, {self.w.unlocode_name(loc)}", "UNLocationCode": loc},
                "transportCall": call,
                "seals": [{"sealNumber": s, "sealSource": "CAR", "sealType": "BLT"} for s in seals],
                "documentReferences": docs,
            }
            out.append((t, event))
        return out

    @staticmethod
    def step_index(c: Consignment, code: str, where: str) -> int:
        """Index in the step list of the first `code` event at `where` ("pol", "hub" or "pod")."""
        svc = c.route
        if where == "pol":
            return ["GTOT", "STUF", "GTIN", "LOAD"].index(code)
        if where == "hub":
            return 4 if code == "DISC" else 5
        base = 4 + (2 if svc.hub else 0) + (2 if c.events.get("kind") == "deviation" else 0)
        return base if code == "DISC" else base + 1
