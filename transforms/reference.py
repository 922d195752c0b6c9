"""Reference data: ports, HS catalogue, watch list, country risk. Loaded once per process.

Files live in transforms/reference_data/ with their sources in SOURCES.md there. The UN/LOCODE
port list is the DCSA Information Model sample (unlocationcodes.csv).
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference_data"


@dataclass(frozen=True)
class Port:
    unlocode: str
    name: str
    country: str


@dataclass(frozen=True)
class HsInfo:
    hs6: str
    description: str
    category: str  # GENERAL, PRECURSOR, EXPLOSIVES, WEAPONS, WILDLIFE, COUNTERFEIT_PRONE, EXCISE, PRECIOUS
    unit_value_eur_per_kg: float
    kg_per_package_min: float
    kg_per_package_max: float


@dataclass(frozen=True)
class WatchlistEntry:
    name: str
    country: str
    list: str
    reason: str


@dataclass(frozen=True)
class ReferenceData:
    ports: dict  # UN/LOCODE -> Port
    hs: dict  # hs6 -> HsInfo
    watchlist: tuple  # WatchlistEntry
    country_risk: dict  # ISO country -> HIGH / MEDIUM / LOW

    def country_of(self, unlocode: str | None) -> str | None:
        """Country of a UN/LOCODE: its first two letters by the standard's construction."""
        return unlocode[:2] if unlocode and len(unlocode) == 5 else None

    def hs_info(self, hs_code: str) -> HsInfo | None:
        return self.hs.get(hs_code[:6])


def _rows(filename: str) -> list[dict]:
    with open(REFERENCE_DIR / filename, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@functools.lru_cache(maxsize=1)
def load_reference() -> ReferenceData:
    ports = {
        r["UN Location Code"]: Port(r["UN Location Code"], r["UN Location Name"], r["ISO 3166-1"])
        for r in _rows("unlocode-ports.csv")
    }
    hs = {
        r["hs6"]: HsInfo(
            r["hs6"], r["description"], r["category"], float(r["unit_value_eur_per_kg"]),
            float(r["kg_per_package_min"]), float(r["kg_per_package_max"]),
        )
        for r in _rows("hs_catalogue.csv")
    }
    watchlist = tuple(WatchlistEntry(r["name"], r["country"], r["list"], r["reason"]) for r in _rows("watchlist.csv"))
    country_risk = {r["country"]: r["risk_level"] for r in _rows("country_risk.csv")}
    return ReferenceData(ports=ports, hs=hs, watchlist=watchlist, country_risk=country_risk)
