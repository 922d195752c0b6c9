"""Rule sets: the risk analysts' thresholds and lists, as versioned data.

A rule set is a YAML file in `transforms/rulesets/` (see `default.yaml`, which documents every
key). `load_ruleset()` reads, validates and compiles it once per file version; `ruleset_from_dict()`
does the same for a dict (a rule set pushed on the rules topic while the job runs). A bad rule set
raises `RuleSetError` naming the offending key, e.g. `cross_checks.CONTAINER_REUSE.window_days`.

The compiled `RuleSet` is immutable and picklable (the Flink job broadcasts it): lookups on the
hot path are dict/set lookups and one precompiled regular expression, never YAML or regex
compilation per record.

    rs = load_ruleset()                 # transforms/rulesets/default.yaml
    rs = load_ruleset("2026.11-2")      # the file declaring that version (here default.yaml)
    rs.points["UNDERVALUATION"]         # 60
    rs.param("CONTAINER_REUSE", "window_days")
"""
from __future__ import annotations

import math
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RULESET_DIR = Path(__file__).resolve().parent / "rulesets"
DEFAULT_RULESET = RULESET_DIR / "default.yaml"

# Outcomes (risk_assessment.avsc Outcome) and the high-risk ones.
ASSESSMENT_COMPLETE = "ASSESSMENT_COMPLETE"
REQUEST_FOR_INFORMATION = "REQUEST_FOR_INFORMATION"
HIGH_RISK_SCREENING = "HIGH_RISK_SCREENING"
DO_NOT_LOAD = "DO_NOT_LOAD"
CONTROL_ON_ARRIVAL = "CONTROL_ON_ARRIVAL"
ALERT_OUTCOMES = frozenset({HIGH_RISK_SCREENING, DO_NOT_LOAD, CONTROL_ON_ARRIVAL})
HINTS = frozenset({DO_NOT_LOAD})

# Codes of the declaration-level rules and indicators (transforms.indicators).
RESTRICTED_HS = "RESTRICTED_HS"
RESTRICTED_DESCRIPTION = "RESTRICTED_DESCRIPTION"
WATCHLIST_PARTY = "WATCHLIST_PARTY"
UNDERVALUATION = "UNDERVALUATION"
IMPLAUSIBLE_MASS = "IMPLAUSIBLE_MASS"
HIGH_RISK_ORIGIN = "HIGH_RISK_ORIGIN"
HIGH_RISK_ROUTE = "HIGH_RISK_ROUTE"
RANDOM_SELECTION = "RANDOM_SELECTION"
MODEL = "MODEL"

# Cross-check codes and the parameters each must carry besides `points` (name -> type).
_NUM = (int, float)
CROSS_CHECK_PARAMS: dict[str, dict[str, Any]] = {
    "MANIFEST_PACKAGES_MISMATCH": {},
    "MANIFEST_MASS_MISMATCH": {"tolerance": _NUM},
    "MANIFEST_HS_CHAPTER_MISMATCH": {},
    "MANIFEST_CONSIGNEE_MISMATCH": {"min_similarity": _NUM},
    "MANIFEST_CONTAINER_MISMATCH": {},
    "UNDECLARED_CONSIGNMENT": {},
    "CONTAINER_NOT_SEEN": {"window_before_hours": _NUM, "modes": list},
    "ROUTE_DEVIATION": {},
    "LATE_FILING": {"grace_minutes": _NUM, "lookback_hours": _NUM},
    "SEAL_TAMPERING": {"reset_events": list},
    "CONTAINER_REUSE": {"window_days": _NUM, "related_similarity": _NUM},
    "SPLIT_SHIPMENT": {"window_days": _NUM, "min_routes": int, "min_consignees": int,
                       "established_min_history": int, "established_min_routes": int},
    "TEST_SHIPMENT": {"window_days": _NUM, "max_mass_kg": _NUM, "max_mass_share": _NUM},
}
CROSS_CHECK_CODES = tuple(CROSS_CHECK_PARAMS)

_TOP_KEYS = {
    "version", "description", "decision_delay_hours", "state_retention_hours", "random_selection_share",
    "lifecycle", "deductive", "inductive", "cross_checks", "outcomes", "model",
}
# Stand-ins when a filing gives no expected loading or arrival (hours): loading after filing, then
# transit to the first place of arrival. From the ICS2 filing rules and typical transit times.
DEFAULT_LIFECYCLE_MODES = {
    "SEA": (48, 720), "AIR": (4, 24), "POSTAL": (4, 24), "ROAD": (0, 2), "RAIL": (24, 360),
}
_MODES = {"SEA", "AIR", "ROAD", "RAIL", "POSTAL"}
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


class RuleSetError(ValueError):
    """A rule set that does not validate; the message starts with the offending key."""


@dataclass(frozen=True)
class HsRule:
    prefix: str
    category: str
    points: float
    hint: str | None
    label: str


@dataclass(frozen=True)
class KeywordRule:
    phrase: str
    category: str
    points: float
    hint: str | None


@dataclass(frozen=True, eq=False)
class RuleSet:
    """One compiled, validated rule-set version. Treat every field as read-only."""

    version: str
    state_retention_ms: int
    random_selection_share: float
    # deductive
    restricted_hs: dict  # HS prefix -> HsRule
    hs_prefix_lengths: tuple  # prefix lengths present, longest first
    keyword_rules: dict  # normalised phrase -> KeywordRule
    keyword_regex: Any  # compiled re.Pattern or None
    watchlist_threshold: float
    # inductive
    undervaluation_ratio: float
    mass_factor: float
    origin_points: dict  # risk level -> points
    route_points: dict
    fx_to_eur: dict
    # cross-checks: code -> {param: value} (points included)
    cross_checks: dict
    # default points of every code
    points: dict
    # outcomes
    alert_score: float
    rfi_score: float
    loaded_codes: frozenset
    # model
    model_weight: float
    # lifecycle (transforms.lifecycle): mode -> (loading after filing ms, transit ms) when the
    # filing gives no expected times; the final assessment this long before the expected arrival;
    # absence checks decided this long after the expected loading
    lifecycle_modes: dict = None
    final_before_arrival_ms: int = 3_600_000
    absence_after_loading_ms: int = 6 * 3_600_000
    max_lifecycle_ms: int = 60 * DAY_MS  # no filing's arrival is taken later than this after it
    source: str = ""
    # deductive.harmless_contexts: (normalised context, compiled re.Pattern), in file order
    harmless_contexts: tuple = ()

    def param(self, code: str, name: str) -> Any:
        return self.cross_checks[code][name]

    def restricted_hs_rule(self, hs_code: str) -> HsRule | None:
        """The longest restricted prefix rule matching an HS code, or None."""
        table = self.restricted_hs
        for n in self.hs_prefix_lengths:
            rule = table.get(hs_code[:n])
            if rule is not None:
                return rule
        return None

    def restricted_keywords_in(self, text: str) -> list[KeywordRule]:
        """Restricted keyword rules whose phrase occurs (as whole words) in a text, outside the
        harmless contexts ("water pistols", "ivory colour"): an occurrence inside a context match
        is excused, another occurrence in the same text is not."""
        if self.keyword_regex is None or not text:
            return []
        found = []
        excused = None  # spans of the harmless contexts, computed only when a phrase occurs
        for m in self.keyword_regex.finditer(text):
            rule = self.keyword_rules.get(_phrase_key(m.group(0)))
            if rule is None or rule in found:
                continue
            if self.harmless_contexts:
                if excused is None:
                    excused = [c.span() for _, rx in self.harmless_contexts for c in rx.finditer(text)]
                if any(a <= m.start() and m.end() <= b for a, b in excused):
                    continue
            found.append(rule)
        return found

    def to_eur(self, amount: float, currency: str) -> float | None:
        rate = self.fx_to_eur.get(currency)
        return None if rate is None else amount * rate


_SEP_RE = re.compile(r"[\s\-.]+")


def _phrase_key(s: str) -> str:
    return _SEP_RE.sub(" ", s.casefold()).strip()


# --- validation helpers ---------------------------------------------------------------------------

def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fail(key: str, msg: str) -> RuleSetError:
    return RuleSetError(f"{key}: {msg}")


def _get(d: dict, key: str, path: str, types: Any, required: bool = True, default: Any = None) -> Any:
    if not isinstance(d, dict):
        raise _fail(path, "expected a mapping")
    full = _join(path, key)
    if key not in d:
        if required:
            raise _fail(full, "missing")
        return default
    v = d[key]
    if types is _NUM or types == (int, float):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _fail(full, f"expected a number, got {v!r}")
    elif types is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise _fail(full, f"expected an integer, got {v!r}")
    elif not isinstance(v, types):
        raise _fail(full, f"expected {getattr(types, '__name__', types)}, got {type(v).__name__}")
    return v


def _points(d: dict, key: str, path: str) -> float:
    v = _get(d, key, path, _NUM)
    if not 0 <= v <= 100:
        raise _fail(_join(path, key), f"points must be within 0..100, got {v}")
    return float(v)


def _positive(d: dict, key: str, path: str, types: Any = _NUM, allow_zero: bool = False) -> Any:
    v = _get(d, key, path, types)
    if v < 0 or (v == 0 and not allow_zero):
        raise _fail(_join(path, key), f"must be {'>= 0' if allow_zero else '> 0'}, got {v}")
    return v


def _unknown_keys(d: dict, allowed: set, path: str) -> None:
    for k in d:
        if k not in allowed:
            where = f"{path}.{k}" if path else str(k)
            raise _fail(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _hint(d: dict, path: str) -> str | None:
    h = d.get("hint")
    if h is not None and h not in HINTS:
        raise _fail(f"{path}.hint", f"unknown hint {h!r} (allowed: {', '.join(sorted(HINTS))})")
    return h


def _level_points(d: Any, path: str) -> dict:
    if not isinstance(d, dict):
        raise _fail(path, "expected a mapping of risk level to points")
    out = {}
    for level in d:
        if level not in ("HIGH", "MEDIUM", "LOW"):
            raise _fail(f"{path}.{level}", "unknown risk level (allowed: HIGH, MEDIUM, LOW)")
        out[level] = _points(d, level, path)
    return out


def _lifecycle(lc: Any) -> dict:
    """The `lifecycle` section (optional: every key has a default)."""
    if not isinstance(lc, dict):
        raise _fail("lifecycle", "expected a mapping")
    _unknown_keys(lc, {"modes", "final_before_arrival_hours", "absence_after_loading_hours", "max_lifecycle_days"},
                  "lifecycle")
    modes = {m: (a * HOUR_MS, b * HOUR_MS) for m, (a, b) in DEFAULT_LIFECYCLE_MODES.items()}
    given = _get(lc, "modes", "lifecycle", dict, required=False, default={})
    for m, v in given.items():
        p = f"lifecycle.modes.{m}"
        if m not in _MODES:
            raise _fail("lifecycle.modes", f"unknown transport mode {m!r}")
        if not isinstance(v, dict):
            raise _fail(p, "expected a mapping")
        _unknown_keys(v, {"loading_after_filing_hours", "transit_hours"}, p)
        a = _get(v, "loading_after_filing_hours", p, _NUM)
        b = _get(v, "transit_hours", p, _NUM)
        if a < 0 or b <= 0:
            raise _fail(p, f"loading_after_filing_hours must be >= 0 and transit_hours > 0, got {a}, {b}")
        modes[m] = (int(a * HOUR_MS), int(b * HOUR_MS))
    final_h = _get(lc, "final_before_arrival_hours", "lifecycle", _NUM, required=False, default=1)
    absence_h = _get(lc, "absence_after_loading_hours", "lifecycle", _NUM, required=False, default=6)
    if final_h < 0 or absence_h < 0:
        raise _fail("lifecycle", "final_before_arrival_hours and absence_after_loading_hours must be >= 0")
    max_days = _get(lc, "max_lifecycle_days", "lifecycle", _NUM, required=False, default=60)
    longest = max(a + b for a, b in modes.values())
    if max_days * DAY_MS < longest:
        raise _fail("lifecycle.max_lifecycle_days", f"must cover the longest stand-in ({longest / DAY_MS:g} days)")
    return {"lifecycle_modes": modes, "final_before_arrival_ms": int(final_h * HOUR_MS),
            "absence_after_loading_ms": int(absence_h * HOUR_MS), "max_lifecycle_ms": int(max_days * DAY_MS)}


def ruleset_from_dict(d: Any, source: str = "") -> RuleSet:
    """Validate and compile a rule set given as a dict (the parsed YAML)."""
    if not isinstance(d, dict):
        raise RuleSetError("<root>: expected a mapping")
    _unknown_keys(d, _TOP_KEYS, "")
    version = d.get("version")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        raise _fail("version", f"must be a string (quote it in YAML), got {version!r}")
    version = _get(d, "version", "", str)
    if not version.strip():
        raise _fail("version", "must not be empty")
    # decision_delay_hours: the fixed delay of the rule sets before the lifecycle; read, not used.
    if "decision_delay_hours" in d:
        _positive(d, "decision_delay_hours", "")
    lifecycle = _lifecycle(d.get("lifecycle", {}))
    retention_h = _get(d, "state_retention_hours", "", _NUM, required=False, default=48)
    if retention_h < 0:
        raise _fail("state_retention_hours", f"must be >= 0, got {retention_h}")
    share = _get(d, "random_selection_share", "", _NUM)
    if not 0 <= share <= 1:
        raise _fail("random_selection_share", f"must be within 0..1, got {share}")

    # deductive
    ded = _get(d, "deductive", "", dict)
    _unknown_keys(ded, {"restricted_hs", "restricted_keywords", "harmless_contexts", "watchlist"}, "deductive")
    hs_rules: dict[str, HsRule] = {}
    for i, r in enumerate(_get(ded, "restricted_hs", "deductive", list)):
        p = f"deductive.restricted_hs[{i}]"
        if not isinstance(r, dict):
            raise _fail(p, "expected a mapping")
        _unknown_keys(r, {"prefix", "category", "points", "hint", "label"}, p)
        prefix = _get(r, "prefix", p, (str, int))
        prefix = str(prefix)
        if not re.fullmatch(r"[0-9]{2,10}", prefix):
            raise _fail(f"{p}.prefix", f"expected 2-10 digits, got {prefix!r}")
        if prefix in hs_rules:
            raise _fail(f"{p}.prefix", f"duplicate prefix {prefix}")
        hs_rules[prefix] = HsRule(prefix, _get(r, "category", p, str), _points(r, "points", p), _hint(r, p),
                                  str(r.get("label", "")))
    kw_rules: dict[str, KeywordRule] = {}
    for i, r in enumerate(_get(ded, "restricted_keywords", "deductive", list)):
        p = f"deductive.restricted_keywords[{i}]"
        if not isinstance(r, dict):
            raise _fail(p, "expected a mapping")
        _unknown_keys(r, {"phrase", "category", "points", "hint"}, p)
        phrase = _phrase_key(_get(r, "phrase", p, str))
        if not phrase:
            raise _fail(f"{p}.phrase", "must not be empty")
        kw_rules[phrase] = KeywordRule(phrase, _get(r, "category", p, str), _points(r, "points", p), _hint(r, p))
    if kw_rules:
        alts = sorted(kw_rules, key=len, reverse=True)
        body = "|".join(r"[\s\-.]+".join(re.escape(w) for w in ph.split(" ")) for ph in alts)
        # Whole words only; "non-explosive" / "non explosive" is not "explosive".
        kw_regex = re.compile(rf"(?<![\w])(?<!non-)(?<!non )(?:{body})(?![\w])", re.IGNORECASE)
    else:
        kw_regex = None
    harmless = []
    for i, raw_ctx in enumerate(_get(ded, "harmless_contexts", "deductive", list, required=False, default=[])):
        p = f"deductive.harmless_contexts[{i}]"
        if not isinstance(raw_ctx, str):
            raise _fail(p, f"expected a string, got {type(raw_ctx).__name__}")
        prefix = raw_ctx.rstrip().endswith("*")
        ctx = _phrase_key(raw_ctx.rstrip().rstrip("*"))
        if not ctx or "*" in ctx:
            raise _fail(p, f"expected words with at most a trailing '*', got {raw_ctx!r}")
        if kw_regex is None or not kw_regex.search(ctx):
            raise _fail(p, f"{raw_ctx!r} contains no restricted keyword: it would excuse nothing")
        body = r"[\s\-.]+".join(re.escape(w) for w in ctx.split(" "))
        tail = r"\w*" if prefix else r"(?![\w])"
        harmless.append((ctx + ("*" if prefix else ""), re.compile(rf"(?<![\w])(?:{body}){tail}", re.IGNORECASE)))
    wl = _get(ded, "watchlist", "deductive", dict)
    _unknown_keys(wl, {"threshold", "points"}, "deductive.watchlist")
    wl_threshold = _get(wl, "threshold", "deductive.watchlist", _NUM)
    if not 0 < wl_threshold <= 100:
        raise _fail("deductive.watchlist.threshold", f"must be within (0, 100], got {wl_threshold}")

    # inductive
    ind = _get(d, "inductive", "", dict)
    _unknown_keys(ind, {"undervaluation", "implausible_mass", "country_risk", "fx_to_eur"}, "inductive")
    uv = _get(ind, "undervaluation", "inductive", dict)
    _unknown_keys(uv, {"ratio_below", "points"}, "inductive.undervaluation")
    uv_ratio = _positive(uv, "ratio_below", "inductive.undervaluation")
    if uv_ratio >= 1:
        raise _fail("inductive.undervaluation.ratio_below", f"must be below 1, got {uv_ratio}")
    im = _get(ind, "implausible_mass", "inductive", dict)
    _unknown_keys(im, {"factor", "points"}, "inductive.implausible_mass")
    mass_factor = _positive(im, "factor", "inductive.implausible_mass")
    if mass_factor < 1:
        raise _fail("inductive.implausible_mass.factor", f"must be >= 1, got {mass_factor}")
    cr = _get(ind, "country_risk", "inductive", dict)
    _unknown_keys(cr, {"origin_points", "route_points"}, "inductive.country_risk")
    origin_points = _level_points(_get(cr, "origin_points", "inductive.country_risk", dict),
                                  "inductive.country_risk.origin_points")
    route_points = _level_points(_get(cr, "route_points", "inductive.country_risk", dict),
                                 "inductive.country_risk.route_points")
    fx = _get(ind, "fx_to_eur", "inductive", dict, required=False, default={"EUR": 1.0})
    fx_to_eur = {}
    for cur in fx:
        if not (isinstance(cur, str) and re.fullmatch(r"[A-Z]{3}", cur)):
            raise _fail(f"inductive.fx_to_eur.{cur}", "expected an ISO 4217 code")
        fx_to_eur[cur] = float(_positive(fx, cur, "inductive.fx_to_eur"))
    fx_to_eur.setdefault("EUR", 1.0)

    points = {
        RESTRICTED_HS: max((r.points for r in hs_rules.values()), default=0.0),
        RESTRICTED_DESCRIPTION: max((r.points for r in kw_rules.values()), default=0.0),
        WATCHLIST_PARTY: _points(wl, "points", "deductive.watchlist"),
        UNDERVALUATION: _points(uv, "points", "inductive.undervaluation"),
        IMPLAUSIBLE_MASS: _points(im, "points", "inductive.implausible_mass"),
        HIGH_RISK_ORIGIN: max(origin_points.values(), default=0.0),
        HIGH_RISK_ROUTE: max(route_points.values(), default=0.0),
        RANDOM_SELECTION: 0.0,
    }

    # cross-checks
    cc = _get(d, "cross_checks", "", dict)
    _unknown_keys(cc, set(CROSS_CHECK_PARAMS), "cross_checks")
    cross_checks: dict[str, dict] = {}
    for code, params in CROSS_CHECK_PARAMS.items():
        p = f"cross_checks.{code}"
        c = _get(cc, code, "cross_checks", dict)
        _unknown_keys(c, {"points", *params}, p)
        entry = {"points": _points(c, "points", p)}
        for name, typ in params.items():
            v = _get(c, name, p, typ)
            if typ is list:
                if not all(isinstance(x, str) for x in v):
                    raise _fail(f"{p}.{name}", "expected a list of strings")
                v = frozenset(v)
            elif v < 0:
                raise _fail(f"{p}.{name}", f"must be >= 0, got {v}")
            entry[name] = v
        cross_checks[code] = entry
        points[code] = entry["points"]
    if cross_checks["MANIFEST_MASS_MISMATCH"]["tolerance"] >= 1:
        raise _fail("cross_checks.MANIFEST_MASS_MISMATCH.tolerance", "must be below 1 (a share)")
    for code, name in (("MANIFEST_CONSIGNEE_MISMATCH", "min_similarity"), ("CONTAINER_REUSE", "related_similarity")):
        if cross_checks[code][name] > 100:
            raise _fail(f"cross_checks.{code}.{name}", "must be within 0..100")
    if cross_checks["SPLIT_SHIPMENT"]["min_routes"] < 2:
        raise _fail("cross_checks.SPLIT_SHIPMENT.min_routes", "must be >= 2")
    bad_modes = cross_checks["CONTAINER_NOT_SEEN"]["modes"] - _MODES
    if bad_modes:
        raise _fail("cross_checks.CONTAINER_NOT_SEEN.modes", f"unknown modes {sorted(bad_modes)}")
    # Milliseconds, precomputed for the checks.
    for code in ("CONTAINER_REUSE", "SPLIT_SHIPMENT", "TEST_SHIPMENT"):
        cross_checks[code]["window_ms"] = int(cross_checks[code]["window_days"] * DAY_MS)
    cross_checks["CONTAINER_NOT_SEEN"]["window_before_ms"] = int(
        cross_checks["CONTAINER_NOT_SEEN"]["window_before_hours"] * HOUR_MS)
    cross_checks["LATE_FILING"]["grace_ms"] = int(cross_checks["LATE_FILING"]["grace_minutes"] * 60_000)
    cross_checks["LATE_FILING"]["lookback_ms"] = int(cross_checks["LATE_FILING"]["lookback_hours"] * HOUR_MS)

    # outcomes
    oc = _get(d, "outcomes", "", dict)
    _unknown_keys(oc, {"alert_score", "rfi_score", "loaded_codes", "loaded_at_decision_modes"}, "outcomes")
    alert_score = _points(oc, "alert_score", "outcomes")
    rfi_score = _points(oc, "rfi_score", "outcomes")
    if rfi_score > alert_score:
        raise _fail("outcomes.rfi_score", f"must not exceed outcomes.alert_score ({alert_score})")
    if alert_score <= 0:
        raise _fail("outcomes.alert_score", "must be > 0")
    loaded_codes = _get(oc, "loaded_codes", "outcomes", list, required=False, default=[])
    for c in loaded_codes:
        if c not in points:
            raise _fail("outcomes.loaded_codes", f"unknown code {c!r}")
    # loaded_at_decision_modes: rule sets before the lifecycle; read, not used (loaded = past the
    # consignment's expected loading, transforms.scoring.is_loaded).
    loaded_modes = _get(oc, "loaded_at_decision_modes", "outcomes", list, required=False, default=[])
    for m in loaded_modes:
        if m not in _MODES:
            raise _fail("outcomes.loaded_at_decision_modes", f"unknown transport mode {m!r}")

    # model
    md = _get(d, "model", "", dict, required=False, default={"weight": 0.0})
    _unknown_keys(md, {"weight"}, "model")
    model_weight = _get(md, "weight", "model", _NUM)
    if not 0 <= model_weight <= 1:
        raise _fail("model.weight", f"must be within 0..1, got {model_weight}")

    return RuleSet(
        version=version.strip(),
        **lifecycle,
        state_retention_ms=int(retention_h * HOUR_MS),
        random_selection_share=float(share),
        restricted_hs=hs_rules,
        hs_prefix_lengths=tuple(sorted({len(p) for p in hs_rules}, reverse=True)),
        keyword_rules=kw_rules,
        keyword_regex=kw_regex,
        watchlist_threshold=float(wl_threshold),
        undervaluation_ratio=float(uv_ratio),
        mass_factor=float(mass_factor),
        origin_points=origin_points,
        route_points=route_points,
        fx_to_eur=fx_to_eur,
        cross_checks=cross_checks,
        points=points,
        alert_score=alert_score,
        rfi_score=rfi_score,
        loaded_codes=frozenset(loaded_codes),
        model_weight=float(model_weight),
        source=source,
        harmless_contexts=tuple(harmless),
    )


_CACHE: dict[tuple, RuleSet] = {}
_LOCK = threading.Lock()


def resolve_ruleset_path(path_or_name: str | os.PathLike | None = None) -> Path:
    """The file of a rule set: None -> default.yaml; a bare name -> rulesets/<name>.yaml."""
    if path_or_name is None:
        return DEFAULT_RULESET
    s = os.fspath(path_or_name)
    if os.sep not in s and "/" not in s and not s.endswith((".yaml", ".yml")):
        return RULESET_DIR / f"{s}.yaml"
    return Path(s)


def load_ruleset(path_or_name: str | os.PathLike | None = None) -> RuleSet:
    """Load, validate and compile a rule set; cached per file (path, size, modification time)."""
    path = resolve_ruleset_path(path_or_name).resolve()
    if not path.exists() and path.parent == RULESET_DIR.resolve():
        # A bare name may be a version recorded in an assessment: find the file that declares it.
        path = _file_of_version(path.stem) or path
    try:
        st = path.stat()
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in RULESET_DIR.glob("*.yaml")))
        raise RuleSetError(f"<file>: no rule set at {path} (known names: {known})") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _LOCK:
        rs = _CACHE.get(key)
    if rs is not None:
        return rs
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleSetError(f"<file>: {path} is not valid YAML: {exc}") from None
    rs = ruleset_from_dict(data, source=str(path))
    with _LOCK:
        _CACHE[key] = rs
    return rs


def _file_of_version(version: str) -> Path | None:
    for p in sorted(RULESET_DIR.glob("*.yaml")):
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and str(data.get("version", "")).strip() == version:
            return p.resolve()
    return None
