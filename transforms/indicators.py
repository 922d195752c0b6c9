"""Declaration-level rules and indicators: what one filing alone gives away.

`declaration_indicators(decl, ruleset, reference)` returns evidence dicts (state_machine.evidence)
for the deductive rules (kind RULE) and the inductive indicators (kind INDICATOR):

| code | fires when |
| --- | --- |
| RESTRICTED_HS | a goods item's HS code starts with a restricted prefix (deductive.restricted_hs) |
| RESTRICTED_DESCRIPTION | a goods description names restricted goods (deductive.restricted_keywords), whatever the HS code |
| WATCHLIST_PARTY | consignor, consignee or notify party fuzzily matches the watch list |
| UNDERVALUATION | declared EUR per kg below ratio_below x the HS norm (hs_catalogue.csv) |
| IMPLAUSIBLE_MASS | kg per package outside [min / factor, max x factor] of the HS range |
| HIGH_RISK_ORIGIN | origin country of the goods has a risk level with points (country_risk.csv) |
| HIGH_RISK_ROUTE | another country on the itinerary has such a level |

Each evidence carries `points` (what this firing weighs: a restricted prefix or keyword has its
own) and, for DO_NOT_LOAD rules, `hint`. Pure and allocation-light: called once per assessed
declaration, at its decision deadline.
"""
from __future__ import annotations

from transforms.parties import watchlist_matcher
from transforms.rules import (
    HIGH_RISK_ORIGIN,
    HIGH_RISK_ROUTE,
    IMPLAUSIBLE_MASS,
    RESTRICTED_DESCRIPTION,
    RESTRICTED_HS,
    UNDERVALUATION,
    WATCHLIST_PARTY,
    RuleSet,
)
from transforms.state_machine import evidence

RULE = "RULE"
INDICATOR = "INDICATOR"
_PARTY_ROLES = (("consignor", "consignor"), ("consignee", "consignee"), ("notify_party", "notify party"))


def _ev(decl: dict, code: str, detail: str, kind: str, points: float, hint: str | None = None) -> dict:
    e = evidence(decl["declaration_id"], decl["house_document"], code, detail, decl["filed_at_ms"], kind)
    e["declaration_version"] = decl.get("version")
    e["points"] = points
    if hint:
        e["hint"] = hint
    return e


def declaration_indicators(decl: dict, ruleset: RuleSet, reference) -> list[dict]:
    """Every rule and indicator that fires on one declaration, as evidence dicts."""
    out: list[dict] = []
    goods = decl.get("goods") or ()
    pts = ruleset.points

    # Deductive: restricted HS codes and descriptions (one evidence per code, the heaviest item).
    hs_best = None
    kw_best = None
    for item in goods:
        hs = item.get("hs_code") or ""
        rule = ruleset.restricted_hs_rule(hs)
        if rule is not None and (hs_best is None or rule.points > hs_best[0].points):
            hs_best = (rule, hs)
        for kw in ruleset.restricted_keywords_in(item.get("description") or ""):
            if kw_best is None or kw.points > kw_best[0].points:
                kw_best = (kw, item)
    if hs_best is not None:
        rule, hs = hs_best
        out.append(_ev(decl, RESTRICTED_HS,
                       f"HS {hs} is restricted: {rule.label or rule.category} ({rule.category})",
                       RULE, rule.points, rule.hint))
    if kw_best is not None:
        kw, item = kw_best
        out.append(_ev(decl, RESTRICTED_DESCRIPTION,
                       f"description \"{item.get('description')}\" names restricted goods "
                       f"'{kw.phrase}' ({kw.category}) under HS {item.get('hs_code')}",
                       RULE, kw.points, kw.hint))

    # Deductive: watch-listed parties.
    if reference.watchlist:
        matcher = watchlist_matcher(reference.watchlist, ruleset.watchlist_threshold)
        hits = []
        for field, role in _PARTY_ROLES:
            party = decl.get(field)
            if not party:
                continue
            m = matcher.match(party.get("name") or "", party.get("country"))
            if m is not None:
                entry, score = m
                hits.append(f"{role} \"{party.get('name')}\" matches watch-listed \"{entry.name}\" "
                            f"({entry.list}: {entry.reason}; similarity {score:.0f})")
        if hits:
            out.append(_ev(decl, WATCHLIST_PARTY, "; ".join(hits), RULE, pts[WATCHLIST_PARTY]))

    # Inductive: value and mass against the HS catalogue.
    under = None
    mass = None
    for item in goods:
        info = reference.hs_info(item.get("hs_code") or "")
        if info is None:
            continue
        kg = item.get("gross_mass_kg") or 0.0
        if kg > 0 and info.unit_value_eur_per_kg > 0:
            eur = ruleset.to_eur(item.get("value") or 0.0, item.get("currency") or "")
            if eur is not None:
                ratio = (eur / kg) / info.unit_value_eur_per_kg
                if ratio < ruleset.undervaluation_ratio and (under is None or ratio < under[0]):
                    under = (ratio, item, eur / kg, info)
        packages = item.get("packages") or 0
        if packages > 0 and kg > 0:
            per = kg / packages
            lo = info.kg_per_package_min / ruleset.mass_factor
            hi = info.kg_per_package_max * ruleset.mass_factor
            if per < lo or per > hi:
                off = max(lo / per, per / hi)
                if mass is None or off > mass[0]:
                    mass = (off, item, per, info)
    if under is not None:
        ratio, item, unit, info = under
        out.append(_ev(decl, UNDERVALUATION,
                       f"HS {item.get('hs_code')} declared at {unit:.2f} EUR/kg, {ratio:.0%} of the norm "
                       f"{info.unit_value_eur_per_kg:g} EUR/kg for {info.description}",
                       INDICATOR, pts[UNDERVALUATION]))
    if mass is not None:
        _, item, per, info = mass
        out.append(_ev(decl, IMPLAUSIBLE_MASS,
                       f"HS {item.get('hs_code')}: {per:.3g} kg per package, plausible "
                       f"{info.kg_per_package_min:g}-{info.kg_per_package_max:g} kg for {info.description}",
                       INDICATOR, pts[IMPLAUSIBLE_MASS]))

    # Inductive: country risk of origin and route.
    risk = reference.country_risk
    origins = {item.get("origin_country") for item in goods}
    o_best = _riskiest(origins, risk, ruleset.origin_points)
    if o_best is not None:
        country, level, points = o_best
        out.append(_ev(decl, HIGH_RISK_ORIGIN, f"goods originate in {country} (country risk {level})",
                       INDICATOR, points))
    route = [c for c in (decl.get("itinerary") or ()) if c not in origins]
    r_best = _riskiest(route, risk, ruleset.route_points)
    if r_best is not None:
        country, level, points = r_best
        out.append(_ev(decl, HIGH_RISK_ROUTE, f"routed through {country} (country risk {level})",
                       INDICATOR, points))
    return out


def _riskiest(countries, risk: dict, points_by_level: dict):
    best = None
    for c in countries:
        level = risk.get(c)
        p = points_by_level.get(level, 0.0) if level else 0.0
        if p > 0 and (best is None or p > best[2]):
            best = (c, level, p)
    return best
