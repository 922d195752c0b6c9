"""Semantic validation of decoded input records.

A record that decodes against its Avro schema can still be nonsense: a declaration with no goods,
a negative mass, a container number with a wrong check digit. Each validator raises
ValidationError("<field path>: <problem>") for the first problem found, and returns None for a
good record. Validators never raise anything else, whatever they are given.

Checks are shape checks (code formats, ranges, required content), cheap enough to run on every
record; reference-data lookups (is this port known? is this HS code in the catalogue?) belong to
the risk rules, not here.

Rules chosen beyond the schema docs:
- Declaration: FILING is version 1; AMENDMENT and INVALIDATION are version >= 2.
- Manifest: at least one line; a line's hs_code may be 4, 6, 8 or 10 digits (carriers often give
  only the heading).
- ControlResult: seizure_category is required for SEIZURE (one of SEIZURE_CATEGORIES) and must be
  null for the other findings.
- Event times (filed_at_ms, event_time_ms, controlled_at_ms, ...) must lie in 2000-01-01 ..
  2100-01-01 UTC.
"""
from __future__ import annotations

import math
import re

from transforms.codes import (
    EMPTY_INDICATOR_CODES,
    EQUIPMENT_EVENT_TYPE_CODES,
    EVENT_CLASSIFIERS,
    IMO_NUMBER_PATTERN,
    MANIFEST_HS_CODE_PATTERN,
    MODES_OF_TRANSPORT,
    TRANSPORT_EVENT_TYPE_CODES,
    container_number_problem,
    is_country_code,
    is_currency,
    is_hs_code,
    is_unlocode,
)

__all__ = [
    "ValidationError",
    "validate_declaration",
    "validate_manifest",
    "validate_container_event",
    "validate_control_result",
    "VALIDATORS",
    "SEIZURE_CATEGORIES",
    "MIN_TIME_MS",
    "MAX_TIME_MS",
]


class ValidationError(ValueError):
    """A decoded record that is semantically invalid; the message is "field: problem"."""


SEIZURE_CATEGORIES = frozenset({"DRUGS", "WEAPONS", "EXPLOSIVES", "COUNTERFEIT", "TOBACCO", "WILDLIFE", "OTHER"})
MIN_TIME_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_TIME_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z

_MANIFEST_HS_RE = re.compile(MANIFEST_HS_CODE_PATTERN)
_IMO_RE = re.compile(IMO_NUMBER_PATTERN)
_EVENT_CODES = {"EQUIPMENT": EQUIPMENT_EVENT_TYPE_CODES, "TRANSPORT": TRANSPORT_EVENT_TYPE_CODES}


def _show(value: object, limit: int = 40) -> str:
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _fail(path: str, problem: str):
    raise ValidationError(f"{path}: {problem}")


def _text(value: object, path: str) -> None:
    if not isinstance(value, str) or not value.strip():
        _fail(path, "must not be empty")


def _time(value: object, path: str) -> None:
    if type(value) is not int or not MIN_TIME_MS <= value < MAX_TIME_MS:
        _fail(path, f"{_show(value)} is not an epoch-ms time in 2000..2100")


def _positive_int(value: object, path: str) -> None:
    if type(value) is not int or value <= 0:
        _fail(path, f"must be positive, got {_show(value)}")


def _positive_number(value: object, path: str) -> None:
    if type(value) not in (int, float) or not math.isfinite(value) or value <= 0:
        _fail(path, f"must be a positive number, got {_show(value)}")


def _non_negative_number(value: object, path: str) -> None:
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        _fail(path, f"must be a non-negative number, got {_show(value)}")


def _unlocode(value: object, path: str) -> None:
    if not is_unlocode(value):
        _fail(path, f"{_show(value)} is not a UN/LOCODE")


def _country(value: object, path: str) -> None:
    if not is_country_code(value):
        _fail(path, f"{_show(value)} is not an ISO 3166 alpha-2 country code")


def _container(value: object, path: str) -> None:
    problem = container_number_problem(value)
    if problem is not None:
        _fail(path, f"{_show(value)} is not a valid ISO 6346 container number ({problem})")


def _list(value: object, path: str) -> list:
    if not isinstance(value, list):
        _fail(path, f"expected a list, got {type(value).__name__}")
    return value


def _party(party: object, path: str) -> None:
    if not isinstance(party, dict):
        _fail(path, "expected a party record")
    _text(party["name"], f"{path}.name")
    _country(party["country"], f"{path}.country")


def _guard(check):
    """Make a validator total: structural surprises become ValidationError too."""

    def validator(rec: object) -> None:
        if not isinstance(rec, dict):
            raise ValidationError(f"record: expected a decoded record (dict), got {type(rec).__name__}")
        try:
            check(rec)
        except ValidationError:
            raise
        except KeyError as exc:
            raise ValidationError(f"{exc.args[0] if exc.args else 'record'}: missing field") from None
        except Exception as exc:
            raise ValidationError(f"record: malformed ({type(exc).__name__}: {_show(str(exc), 80)})") from None

    validator.__name__ = check.__name__.lstrip("_")
    validator.__qualname__ = validator.__name__
    validator.__doc__ = check.__doc__
    return validator


@_guard
def _validate_declaration(rec: dict) -> None:
    """Raise ValidationError for a semantically invalid Declaration record."""
    _text(rec["declaration_id"], "declaration_id")
    version = rec["version"]
    if type(version) is not int or version < 1:
        _fail("version", f"must be >= 1, got {_show(version)}")
    message_type = rec["message_type"]
    if message_type == "FILING" and version != 1:
        _fail("version", f"a FILING is version 1, got {version}")
    if message_type in ("AMENDMENT", "INVALIDATION") and version < 2:
        _fail("version", f"an {message_type} is version 2 or later, got {version}")
    _text(rec["house_document"], "house_document")
    _text(rec["declarant_id"], "declarant_id")
    _party(rec["consignor"], "consignor")
    _party(rec["consignee"], "consignee")
    if rec.get("notify_party") is not None:
        _party(rec["notify_party"], "notify_party")
    goods = _list(rec["goods"], "goods")
    if not goods:
        _fail("goods", "at least one goods item is required")
    for i, item in enumerate(goods):
        p = f"goods[{i}]"
        if not is_hs_code(item["hs_code"]):
            _fail(f"{p}.hs_code", f"{_show(item['hs_code'])} is not an HS code (6, 8 or 10 digits)")
        _text(item["description"], f"{p}.description")
        _positive_int(item["packages"], f"{p}.packages")
        _positive_number(item["gross_mass_kg"], f"{p}.gross_mass_kg")
        _non_negative_number(item["value"], f"{p}.value")
        if not is_currency(item["currency"]):
            _fail(f"{p}.currency", f"{_show(item['currency'])} is not an ISO 4217 currency code")
        _country(item["origin_country"], f"{p}.origin_country")
    _unlocode(rec["place_of_loading"], "place_of_loading")
    _unlocode(rec["place_of_unloading"], "place_of_unloading")
    for i, country in enumerate(_list(rec["itinerary"], "itinerary")):
        _country(country, f"itinerary[{i}]")
    for i, container in enumerate(_list(rec.get("containers", []), "containers")):
        _container(container, f"containers[{i}]")
    for i, seal in enumerate(_list(rec.get("seals", []), "seals")):
        _text(seal, f"seals[{i}]")
    _time(rec["filed_at_ms"], "filed_at_ms")


@_guard
def _validate_manifest(rec: dict) -> None:
    """Raise ValidationError for a semantically invalid Manifest record."""
    _text(rec["manifest_id"], "manifest_id")
    _text(rec["carrier_id"], "carrier_id")
    _text(rec["conveyance_ref"], "conveyance_ref")
    _text(rec["voyage"], "voyage")
    _unlocode(rec["port_of_loading"], "port_of_loading")
    _unlocode(rec["port_of_discharge"], "port_of_discharge")
    lines = _list(rec["lines"], "lines")
    if not lines:
        _fail("lines", "at least one line is required")
    for i, line in enumerate(lines):
        p = f"lines[{i}]"
        _text(line["house_document"], f"{p}.house_document")
        hs = line.get("hs_code")
        if hs is not None and not (isinstance(hs, str) and _MANIFEST_HS_RE.fullmatch(hs)):
            _fail(f"{p}.hs_code", f"{_show(hs)} is not an HS code (4, 6, 8 or 10 digits)")
        if line.get("container") is not None:
            _container(line["container"], f"{p}.container")
        _positive_int(line["packages"], f"{p}.packages")
        _positive_number(line["gross_mass_kg"], f"{p}.gross_mass_kg")
    _time(rec["filed_at_ms"], "filed_at_ms")


@_guard
def _validate_container_event(rec: dict) -> None:
    """Raise ValidationError for a semantically invalid ContainerEvent record."""
    _text(rec["event_id"], "event_id")
    event_type = rec["event_type"]
    codes = _EVENT_CODES.get(event_type)
    if codes is None:
        _fail("event_type", f"{_show(event_type)} is not EQUIPMENT or TRANSPORT")
    if rec["event_type_code"] not in codes:
        _fail("event_type_code", f"{_show(rec['event_type_code'])} is not a DCSA {event_type.lower()} event code")
    if rec.get("event_classifier", "ACT") not in EVENT_CLASSIFIERS:
        _fail("event_classifier", f"{_show(rec.get('event_classifier'))} is not PLN, ACT, REQ or EST")
    ref = rec.get("equipment_reference")
    if event_type == "EQUIPMENT" and ref is None:
        _fail("equipment_reference", "required for an EQUIPMENT event")
    if ref is not None:
        _container(ref, "equipment_reference")
    _time(rec["event_time_ms"], "event_time_ms")
    _time(rec["event_created_ms"], "event_created_ms")
    if rec.get("location") is not None:
        _unlocode(rec["location"], "location")
    mode = rec.get("mode_of_transport")
    if mode is not None and mode not in MODES_OF_TRANSPORT:
        _fail("mode_of_transport", f"{_show(mode)} is not VESSEL, RAIL, TRUCK or BARGE")
    imo = rec.get("vessel_imo")
    if imo is not None and not (isinstance(imo, str) and _IMO_RE.fullmatch(imo)):
        _fail("vessel_imo", f"{_show(imo)} is not a 7-digit IMO number")
    empty = rec.get("empty_indicator")
    if empty is not None and empty not in EMPTY_INDICATOR_CODES:
        _fail("empty_indicator", f"{_show(empty)} is not EMPTY or LADEN")
    for i, seal in enumerate(_list(rec.get("seals", []), "seals")):
        _text(seal, f"seals[{i}]")
    for i, doc in enumerate(_list(rec.get("document_references", []), "document_references")):
        _text(doc, f"document_references[{i}]")


@_guard
def _validate_control_result(rec: dict) -> None:
    """Raise ValidationError for a semantically invalid ControlResult record."""
    _text(rec["declaration_id"], "declaration_id")
    finding = rec["finding"]
    category = rec.get("seizure_category")
    if finding == "SEIZURE":
        if category is None:
            _fail("seizure_category", "required for a SEIZURE")
        if category not in SEIZURE_CATEGORIES:
            _fail("seizure_category", f"{_show(category)} is not one of {', '.join(sorted(SEIZURE_CATEGORIES))}")
    elif category is not None:
        _fail("seizure_category", f"only for a SEIZURE, but finding is {finding}")
    _non_negative_number(rec.get("recovered_amount_eur", 0.0), "recovered_amount_eur")
    _time(rec["controlled_at_ms"], "controlled_at_ms")


validate_declaration = _validate_declaration
validate_manifest = _validate_manifest
validate_container_event = _validate_container_event
validate_control_result = _validate_control_result

VALIDATORS = {
    "declarations": validate_declaration,
    "manifests": validate_manifest,
    "container_events": validate_container_event,
    "control_results": validate_control_result,
}
