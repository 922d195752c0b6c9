"""Model features: one engine-free function shared by training and serving, so they cannot drift.

`features(decl, evidence, ruleset, reference)` returns a list of floats in `FEATURE_NAMES` order,
from exactly what the assessor (transforms.assessment.DeclarationAssessor._assess) holds when it
calls the model: the assessed version of the declaration and its evidence list (declaration-level
rules and indicators from transforms.indicators, then the checks' evidence), plus the rule set and
reference data of its Context. Training gets its rows by running the same topology with a
recording model (pipelines/training.py), so a training row IS what the live scorer receives.

| group | features |
| --- | --- |
| cross-check, rule and indicator evidence | `ev_<CODE>`: 1 when the code fired (every rule-set code a declaration can get); `ev_count`, `ev_points` (sum of the largest points per code) |
| party history | `ev_SPLIT_SHIPMENT`, `ev_TEST_SHIPMENT` (PartyBehaviour over the consignor's history), `ev_WATCHLIST_PARTY`, `consignor_country_risk` |
| unit value | `value_log_ratio_min` / `_max`: log of (declared EUR per kg / the HS norm), lowest and highest goods item (0 when unknown); `value_unknown` |
| mass | `mass_log_off_max`: how far kg per package lies outside the HS range, log (0 inside) |
| route novelty | `ev_ROUTE_DEVIATION`, `ev_CONTAINER_REUSE`, `route_countries` (itinerary countries besides origins), `route_risk_max` |
| HS and origin risk | `hs_sensitive` (a goods item in a non-GENERAL catalogue category), `hs_unknown`, `origin_risk_max` (country risk 0 none/LOW, 1 MEDIUM, 2 HIGH) |
| filing timeliness | `ev_LATE_FILING`, `filed_hour_utc`, `filed_weekend`, `version`, `amended` |
| size and mode | `mode_<MODE>`, `goods_items`, `log_mass_kg`, `log_value_eur`, `containers`, `foreign_currency` |

Change anything here -> bump FEATURE_VERSION: a model trained on another version is refused at
load (transforms.model.load_model compares FEATURE_VERSION and FEATURE_NAMES).
"""
from __future__ import annotations

import hashlib
import math

from transforms.rules import (
    CROSS_CHECK_CODES,
    HIGH_RISK_ORIGIN,
    HIGH_RISK_ROUTE,
    IMPLAUSIBLE_MASS,
    RESTRICTED_DESCRIPTION,
    RESTRICTED_HS,
    UNDERVALUATION,
    WATCHLIST_PARTY,
)

FEATURE_VERSION = "1"

# Codes a declaration's evidence can carry (UNDECLARED_CONSIGNMENT concerns lines with no declaration).
EVIDENCE_CODES = (RESTRICTED_HS, RESTRICTED_DESCRIPTION, WATCHLIST_PARTY, UNDERVALUATION, IMPLAUSIBLE_MASS,
                  HIGH_RISK_ORIGIN, HIGH_RISK_ROUTE) + tuple(c for c in CROSS_CHECK_CODES
                                                             if c != "UNDECLARED_CONSIGNMENT")
MODES = ("SEA", "AIR", "POSTAL", "ROAD", "RAIL")
_RISK_LEVEL = {"HIGH": 2.0, "MEDIUM": 1.0}

FEATURE_NAMES: tuple[str, ...] = (
    *(f"ev_{c}" for c in EVIDENCE_CODES),
    "ev_count", "ev_points",
    "value_log_ratio_min", "value_log_ratio_max", "value_unknown",
    "mass_log_off_max",
    "hs_sensitive", "hs_unknown", "origin_risk_max", "route_risk_max", "route_countries",
    "consignor_country_risk",
    "filed_hour_utc", "filed_weekend", "version", "amended",
    *(f"mode_{m}" for m in MODES),
    "goods_items", "log_mass_kg", "log_value_eur", "containers", "foreign_currency",
)
FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
# Identifies the feature schema in model metadata: names, order and version.
FEATURE_SCHEMA = hashlib.sha256(("|".join(FEATURE_NAMES) + "#" + FEATURE_VERSION).encode()).hexdigest()[:16]

_EV_SLOTS = {c: i for i, c in enumerate(EVIDENCE_CODES)}
_N_EV = len(EVIDENCE_CODES)
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def features(decl: dict, evidence: list[dict], ruleset, reference) -> list[float]:
    """The feature vector (FEATURE_NAMES order) of one declaration with its evidence."""
    x = [0.0] * len(FEATURE_NAMES)
    # Evidence: one flag per code; points as the scorer counts them (once per code, the largest).
    best: dict[str, float] = {}
    default_points = ruleset.points
    for ev in evidence:
        code = ev["code"]
        p = ev.get("points")
        if p is None:
            p = default_points.get(code, 0.0)
        if code not in best or p > best[code]:
            best[code] = p
    for code in best:
        slot = _EV_SLOTS.get(code)
        if slot is not None:
            x[slot] = 1.0
    i = _N_EV
    x[i] = float(len(best))
    x[i + 1] = float(sum(best.values()))
    i += 2

    goods = decl.get("goods") or ()
    lo = hi = None
    unknown = 0.0
    mass_off = 0.0
    sensitive = 0.0
    hs_unknown = 0.0
    total_kg = 0.0
    total_eur = 0.0
    foreign = 0.0
    origins = set()
    risk = reference.country_risk
    origin_risk = 0.0
    for item in goods:
        kg = item.get("gross_mass_kg") or 0.0
        total_kg += kg
        currency = item.get("currency") or ""
        if currency != "EUR":
            foreign = 1.0
        eur = ruleset.to_eur(item.get("value") or 0.0, currency)
        if eur is not None:
            total_eur += eur
        origin = item.get("origin_country")
        origins.add(origin)
        origin_risk = max(origin_risk, _RISK_LEVEL.get(risk.get(origin), 0.0))
        info = reference.hs_info(item.get("hs_code") or "")
        if info is None:
            hs_unknown = 1.0
            unknown = 1.0
            continue
        if info.category != "GENERAL":
            sensitive = 1.0
        if eur is not None and eur > 0 and kg > 0 and info.unit_value_eur_per_kg > 0:
            r = math.log((eur / kg) / info.unit_value_eur_per_kg)
            lo = r if lo is None or r < lo else lo
            hi = r if hi is None or r > hi else hi
        else:
            unknown = 1.0
        packages = item.get("packages") or 0
        if packages > 0 and kg > 0:
            per = kg / packages
            if per < info.kg_per_package_min:
                mass_off = max(mass_off, math.log(info.kg_per_package_min / per))
            elif per > info.kg_per_package_max:
                mass_off = max(mass_off, math.log(per / info.kg_per_package_max))
    x[i] = lo if lo is not None else 0.0
    x[i + 1] = hi if hi is not None else 0.0
    x[i + 2] = unknown
    x[i + 3] = mass_off
    x[i + 4] = sensitive
    x[i + 5] = hs_unknown
    x[i + 6] = origin_risk
    route = [c for c in (decl.get("itinerary") or ()) if c not in origins]
    x[i + 7] = max((_RISK_LEVEL.get(risk.get(c), 0.0) for c in route), default=0.0)
    x[i + 8] = float(len(set(route)))
    x[i + 9] = _RISK_LEVEL.get(risk.get((decl.get("consignor") or {}).get("country")), 0.0)
    i += 10

    filed = decl["filed_at_ms"]
    x[i] = float((filed % _DAY_MS) // _HOUR_MS)
    x[i + 1] = 1.0 if (filed // _DAY_MS + _EPOCH_WEEKDAY) % 7 >= 5 else 0.0
    version = decl.get("version") or 1
    x[i + 2] = float(version)
    x[i + 3] = 1.0 if version > 1 else 0.0
    i += 4
    mode = decl.get("transport_mode")
    if mode in MODES:
        x[i + MODES.index(mode)] = 1.0
    i += len(MODES)
    x[i] = float(len(goods))
    x[i + 1] = math.log1p(total_kg)
    x[i + 2] = math.log1p(total_eur)
    x[i + 3] = float(len(decl.get("containers") or ()))
    x[i + 4] = foreign
    return x


def features_dict(decl: dict, evidence: list[dict], ruleset, reference) -> dict[str, float]:
    """The same features by name (for reports and debugging)."""
    return dict(zip(FEATURE_NAMES, features(decl, evidence, ruleset, reference)))
