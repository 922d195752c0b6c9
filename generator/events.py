"""Container events as the carriers publish them: DCSA Track & Trace 2.2 EquipmentEvents.

Honest sea consignment filed at T, loaded at L (T + 24..48 h) on voyage day d (the UTC day of L):

    GTOT  EMPTY  place of loading   T - 2..20 h        (empty box picked up at the depot)
    STUF  LADEN  place of loading   + 2..6 h           (stuffed and sealed: the declaration's seals)
    GTIN  LADEN  place of loading   + 3..12 h          (gated in at the terminal)
    LOAD  LADEN  place of loading   L                  (feeder or mother vessel)
    DISC  LADEN  hub                d + 26..30 h       (transshipment ports in the itinerary only)
    LOAD  LADEN  hub                + 3..7 h           (onto the mother vessel)
    DISC  LADEN  place of unloading d + 41..45 h
    GTOT  LADEN  place of unloading + 1.5..3.5 h

so every event lies in [T - 1 day, T + 4 days] (transit times are compressed to fit the spec's
time line: the risk decision is taken at T + 5 days). Times are UTC instants written in the
port's local time with its offset, as carriers do.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

from generator import data as D
from generator.consignments import MINUTE_MS, Consignment
from generator.world import DAY_MS, ID_NAMESPACE, World


def iso_local(ms: int, unlocode: str) -> str:
    """ISO 8601 date-time of an instant in the local time of a port, with the offset."""
    offset = D.US_PORT_OFFSET.get(unlocode, D.UTC_OFFSET_MIN.get(unlocode[:2], 0))
    local = datetime.fromtimestamp(ms / 1000, timezone.utc) + timedelta(minutes=offset)
    sign = "+" if offset >= 0 else "-"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


class EventFactory:
    def __init__(self, world: World, rng: random.Random):
        self.w = world
        self.rng = rng
        self.voyages: dict = {}

    def voyage(self, svc, day: int) -> dict:
        """Times shared by every container of one voyage (one service, one loading day)."""
        key = (svc.key, day)
        v = self.voyages.get(key)
        if v is None:
            r = self.rng
            dep = day * DAY_MS + DAY_MS
            hub_disc = dep + r.randint(2 * 60, 5 * 60) * MINUTE_MS
            v = {
                "manifest_at": day * DAY_MS - r.randint(2 * 60, 20 * 60) * MINUTE_MS,
                "hub_disc": hub_disc,
                "hub_load": hub_disc + r.randint(3 * 60, 6 * 60) * MINUTE_MS,
                "pod_disc": dep + r.randint(17 * 60, 20 * 60) * MINUTE_MS,
            }
            self.voyages[key] = v
        return v

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
        v = self.voyage(svc, c.day)
        mother, feeder = svc.mother(c.day), svc.feeder(c.day)
        first_vessel = feeder if svc.hub else mother
        first_voyage = svc.feeder_voyage(c.day) if svc.hub else svc.voyage(c.day)
        load = c.load_ms
        if kind == "late":
            gtot = load - r.randint(14 * 60, 22 * 60) * MINUTE_MS
        else:
            gtot = c.filed_at - r.randint(2 * 60, 20 * 60) * MINUTE_MS
        stuf = gtot + r.randint(2 * 60, 6 * 60) * MINUTE_MS
        gtin = min(stuf + r.randint(3 * 60, 12 * 60) * MINUTE_MS, load - r.randint(60, 180) * MINUTE_MS)
        pol_call = self._call(svc, first_vessel, first_voyage, svc.pol)
        steps = [
            ("GTOT", gtot, svc.pol, "EMPTY", pol_call, "Empty depot"),
            ("STUF", stuf, svc.pol, "LADEN", pol_call, "Container freight station"),
            ("GTIN", gtin, svc.pol, "LADEN", pol_call, "Container terminal"),
            ("LOAD", load, svc.pol, "LADEN", pol_call, "Container terminal"),
        ]
        t_last = v["hub_load"] if svc.hub else load
        if svc.hub:
            steps.append(("DISC", v["hub_disc"] + r.randint(0, 60) * MINUTE_MS, svc.hub, "LADEN",
                          self._call(svc, first_vessel, first_voyage, svc.hub), "Transshipment terminal"))
            steps.append(("LOAD", v["hub_load"] + r.randint(0, 60) * MINUTE_MS, svc.hub, "LADEN",
                          self._call(svc, mother, svc.voyage(c.day), svc.hub), "Transshipment terminal"))
        if kind == "deviation":
            port = c.events["port"]
            base = (max(t_last, load) + r.randint(60, 120) * MINUTE_MS) if svc.hub else \
                c.day * DAY_MS + DAY_MS + r.randint(4 * 60, 8 * 60) * MINUTE_MS
            call = self._call(svc, mother, svc.voyage(c.day), port)
            steps.append(("DISC", base, port, "LADEN", call, "Container terminal"))
            steps.append(("LOAD", base + r.randint(90, 150) * MINUTE_MS, port, "LADEN", call, "Container terminal"))
        pod_call = self._call(svc, mother, svc.voyage(c.day), svc.pod)
        disc = v["pod_disc"] + r.randint(0, 90) * MINUTE_MS
        steps.append(("DISC", disc, svc.pod, "LADEN", pod_call, "Container terminal"))
        cap = c.day * DAY_MS + 2 * DAY_MS - 5 * MINUTE_MS
        steps.append(("GTOT", min(cap, disc + r.randint(90, 210) * MINUTE_MS), svc.pod, "LADEN", pod_call,
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
        """Index in the step list of the first `code` event at `where` ("hub" or "pod")."""
        svc = c.route
        if where == "hub":
            return 4 if code == "DISC" else 5
        base = 4 + (2 if svc.hub else 0) + (2 if c.events.get("kind") == "deviation" else 0)
        return base if code == "DISC" else base + 1
