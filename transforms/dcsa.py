"""Normalise one DCSA Track & Trace 2.2 event into a borderflow ContainerEvent record.

Input: one EquipmentEvent or TransportEvent exactly as the DCSA T&T 2.2 OpenAPI spec shows it,
JSON-decoded to a dict. Output: a dict valid against schemas/avro/container_event.avsc.

`from_dcsa` is total over any Python value: it either returns a schema-valid record or raises
`DcsaError` (a ValueError) whose message is "<field path>: <problem>", e.g.
    equipmentReference: 'MSKU1234560' fails the ISO 6346 check digit (expected 5)
It is on the hot path, so it checks by hand (no jsonschema per event).

Rules (the spec's, plus what the risk logic needs):
- eventType: EQUIPMENT or TRANSPORT. SHIPMENT events (document status) are rejected: they are
  not about a container or a conveyance.
- required: eventID (our key; optional in the spec), eventCreatedDateTime, eventDateTime,
  eventClassifierCode (PLN/ACT/REQ/EST).
- EQUIPMENT: equipmentEventTypeCode (or the deprecated eventTypeCode), equipmentReference
  (required here, ISO 6346 with a verified check digit: non-ISO equipment ids are rejected),
  emptyIndicatorCode (EMPTY/LADEN); transportCall optional.
- TRANSPORT: transportEventTypeCode (or the deprecated eventTypeCode) and transportCall are
  required; equipment_reference and empty_indicator are null.
- transportCall: transportCallID and modeOfTransport required; vessel.vesselIMONumber must be
  7 digits (the IMO check digit is not verified).
- times: RFC 3339 / ISO 8601 date-times with a UTC offset ("Z" or +hh:mm) -> epoch ms UTC
  (sub-millisecond digits truncated); times without an offset are rejected.
- location: eventLocation.UNLocationCode, else transportCall.UNLocationCode, else
  transportCall.location.UNLocationCode; every UNLocationCode present is checked.
- seals: sealNumber required (1-15 chars); sealSource / sealType checked when present.
- documentReferences: documentReferenceValue required; documentReferenceType BKG or TRD when
  present; the record keeps the values.
- JSON null is treated as absent. Unknown keys are ignored.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from transforms.codes import (
    EMPTY_INDICATOR_CODES,
    EVENT_CLASSIFIERS,
    MODES_OF_TRANSPORT,
    container_number_problem,
    is_unlocode,
)

__all__ = ["DcsaError", "from_dcsa", "parse_datetime_ms"]


class DcsaError(ValueError):
    """A DCSA event that cannot be normalised; the message names the field and the problem."""


# Code lists in the spec's order, for messages.
_EQUIPMENT_CODES = ("LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD")
_TRANSPORT_CODES = ("ARRI", "DEPA")
_CLASSIFIERS = ("PLN", "ACT", "REQ", "EST")
_MODES = ("VESSEL", "RAIL", "TRUCK", "BARGE")
_EMPTY = ("EMPTY", "LADEN")
_SEAL_SOURCES = ("CAR", "SHI", "PHY", "VET", "CUS")
_SEAL_TYPES = ("KLP", "BLT", "WIR")
_DOC_TYPES = ("BKG", "TRD")
assert set(_CLASSIFIERS) == EVENT_CLASSIFIERS and set(_MODES) == MODES_OF_TRANSPORT
assert set(_EMPTY) == EMPTY_INDICATOR_CODES

_MAX_ID = 100  # transportCallID maxLength in the spec; used for eventID and references too
_MAX_SEAL = 15  # sealNumber maxLength
_MAX_SEALS = 50
_MAX_DOC_REFS = 200

_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))"
)
_IMO_RE = re.compile(r"[0-9]{7}")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UTC = timezone.utc


def _show(value: object, limit: int = 40) -> str:
    """repr of a value for an error message, cut to a readable length."""
    try:
        r = repr(value)
    except Exception:  # pragma: no cover - exotic objects only
        r = f"<{type(value).__name__}>"
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _get(obj: dict, key: str, path: str, required: bool = False):
    value = obj.get(key)
    if value is None and required:
        raise DcsaError(f"{path}: missing required field")
    return value


def _str(obj: dict, key: str, path: str, required: bool = False, max_len: int = _MAX_ID) -> str | None:
    value = _get(obj, key, path, required)
    if value is None:
        return None
    if type(value) is not str:
        raise DcsaError(f"{path}: expected a string, got {_type_name(value)}")
    if not value.strip():
        raise DcsaError(f"{path}: must not be empty")
    if len(value) > max_len:
        raise DcsaError(f"{path}: longer than {max_len} characters ({len(value)})")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise DcsaError(f"{path}: not valid Unicode text (lone surrogate)") from None
    return value


def _code(obj: dict, key: str, path: str, codes: tuple, required: bool = False) -> str | None:
    value = _get(obj, key, path, required)
    if value is None:
        return None
    if type(value) is not str:
        raise DcsaError(f"{path}: expected a string, got {_type_name(value)}")
    if value not in codes:
        raise DcsaError(f"{path}: {_show(value)} is not a DCSA code ({', '.join(codes)})")
    return value


def _obj(obj: dict, key: str, path: str, required: bool = False) -> dict | None:
    value = _get(obj, key, path, required)
    if value is None:
        return None
    if type(value) is not dict:
        raise DcsaError(f"{path}: expected an object, got {_type_name(value)}")
    return value


def _list(obj: dict, key: str, path: str, max_items: int) -> list:
    value = obj.get(key)
    if value is None:
        return []
    if type(value) is not list:
        raise DcsaError(f"{path}: expected a list, got {_type_name(value)}")
    if len(value) > max_items:
        raise DcsaError(f"{path}: more than {max_items} entries ({len(value)})")
    return value


def _unlocode(obj: dict | None, path: str) -> str | None:
    if obj is None:
        return None
    value = obj.get("UNLocationCode")
    if value is None:
        return None
    if type(value) is not str:
        raise DcsaError(f"{path}.UNLocationCode: expected a string, got {_type_name(value)}")
    if not is_unlocode(value):
        raise DcsaError(f"{path}.UNLocationCode: {_show(value)} is not a UN/LOCODE")
    return value


def parse_datetime_ms(value: str) -> int:
    """Epoch milliseconds UTC of an ISO 8601 / RFC 3339 date-time with a UTC offset.

    Raises ValueError (with the reason) for anything else. Fractions beyond ms are truncated.
    """
    m = _DATETIME_RE.fullmatch(value)
    if m is None:
        raise ValueError("is not an ISO 8601 date-time with a UTC offset (e.g. 2021-01-09T14:12:56+01:00)")
    year, month, day, hour, minute, second, frac, z, sign, oh, om = m.groups()
    dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=_UTC)
    delta = dt - _EPOCH
    ms = (delta.days * 86_400 + delta.seconds) * 1000
    if frac:
        ms += int((frac + "00")[:3])
    if z is None:
        offset_h, offset_m = int(oh), int(om)
        if offset_h > 23 or offset_m > 59:
            raise ValueError("has an invalid UTC offset")
        offset_ms = (offset_h * 60 + offset_m) * 60_000
        ms = ms - offset_ms if sign == "+" else ms + offset_ms
    return ms


def _time(obj: dict, key: str) -> int:
    value = obj.get(key)
    if value is None:
        raise DcsaError(f"{key}: missing required field")
    if type(value) is not str:
        raise DcsaError(f"{key}: expected a string, got {_type_name(value)}")
    try:
        return parse_datetime_ms(value)
    except (ValueError, OverflowError) as exc:
        msg = str(exc)
        if not msg.startswith(("is ", "has ")):
            msg = f"is not a valid date-time ({msg})"
        raise DcsaError(f"{key}: {_show(value)} {msg}") from None


def _transport_call(event: dict, required: bool):
    tc = _obj(event, "transportCall", "transportCall", required)
    if tc is None:
        call_id = _str(event, "transportCallID", "transportCallID")  # deprecated top-level id
        return call_id, None, None, None
    call_id = _str(tc, "transportCallID", "transportCall.transportCallID", required=True)
    mode = _code(tc, "modeOfTransport", "transportCall.modeOfTransport", _MODES, required=True)
    location = _unlocode(tc, "transportCall")
    nested = _unlocode(_obj(tc, "location", "transportCall.location"), "transportCall.location")
    vessel = _obj(tc, "vessel", "transportCall.vessel")
    imo = None
    if vessel is not None:
        imo = _str(vessel, "vesselIMONumber", "transportCall.vessel.vesselIMONumber", required=True)
        if not _IMO_RE.fullmatch(imo):
            raise DcsaError(f"transportCall.vessel.vesselIMONumber: {_show(imo)} is not 7 digits")
    return call_id, mode, location or nested, imo


def _seals(event: dict) -> list[str]:
    out = []
    for i, seal in enumerate(_list(event, "seals", "seals", _MAX_SEALS)):
        path = f"seals[{i}]"
        if type(seal) is not dict:
            raise DcsaError(f"{path}: expected an object, got {_type_name(seal)}")
        out.append(_str(seal, "sealNumber", f"{path}.sealNumber", required=True, max_len=_MAX_SEAL))
        _code(seal, "sealSource", f"{path}.sealSource", _SEAL_SOURCES)
        _code(seal, "sealType", f"{path}.sealType", _SEAL_TYPES)
    return out


def _document_references(event: dict) -> list[str]:
    out = []
    for i, ref in enumerate(_list(event, "documentReferences", "documentReferences", _MAX_DOC_REFS)):
        path = f"documentReferences[{i}]"
        if type(ref) is not dict:
            raise DcsaError(f"{path}: expected an object, got {_type_name(ref)}")
        _code(ref, "documentReferenceType", f"{path}.documentReferenceType", _DOC_TYPES)
        out.append(_str(ref, "documentReferenceValue", f"{path}.documentReferenceValue", required=True))
    return out


def from_dcsa(event: object) -> dict:
    """One DCSA T&T 2.2 EquipmentEvent / TransportEvent (a dict) -> a ContainerEvent record.

    Raises DcsaError, and nothing else, for any input that is not a valid event.
    """
    try:
        return _from_dcsa(event)
    except DcsaError:
        raise
    except Exception as exc:  # defensive: the contract is DcsaError only
        raise DcsaError(f"event: cannot be read ({type(exc).__name__}: {_show(str(exc), 80)})") from None


def _from_dcsa(event: object) -> dict:
    if type(event) is not dict:
        raise DcsaError(f"event: expected a JSON object, got {_type_name(event)}")
    event_type = event.get("eventType")
    if event_type is None:
        raise DcsaError("eventType: missing required field")
    if type(event_type) is not str:
        raise DcsaError(f"eventType: expected a string, got {_type_name(event_type)}")
    if event_type == "SHIPMENT":
        raise DcsaError(
            "eventType: SHIPMENT events are document events, not container events "
            "(only EQUIPMENT and TRANSPORT are accepted)"
        )
    if event_type not in ("EQUIPMENT", "TRANSPORT"):
        raise DcsaError(f"eventType: {_show(event_type)} is not EQUIPMENT or TRANSPORT")
    equipment = event_type == "EQUIPMENT"

    event_id = _str(event, "eventID", "eventID", required=True)
    created_ms = _time(event, "eventCreatedDateTime")
    event_ms = _time(event, "eventDateTime")
    classifier = _code(event, "eventClassifierCode", "eventClassifierCode", _CLASSIFIERS, required=True)

    if equipment:
        key = "equipmentEventTypeCode"
        codes = _EQUIPMENT_CODES
    else:
        key = "transportEventTypeCode"
        codes = _TRANSPORT_CODES
    if event.get(key) is None and event.get("eventTypeCode") is not None:
        key = "eventTypeCode"  # deprecated in 2.2, still accepted
    type_code = _code(event, key, key, codes, required=True)

    equipment_reference = empty_indicator = None
    if equipment:
        ref = event.get("equipmentReference")
        if ref is None:
            raise DcsaError("equipmentReference: missing required field")
        if type(ref) is not str:
            raise DcsaError(f"equipmentReference: expected a string, got {_type_name(ref)}")
        problem = container_number_problem(ref)
        if problem is not None:
            if problem.startswith("check digit"):
                expected = problem.rsplit(" ", 1)[-1]
                raise DcsaError(
                    f"equipmentReference: {_show(ref)} fails the ISO 6346 check digit (expected {expected})"
                )
            raise DcsaError(f"equipmentReference: {_show(ref)} is not an ISO 6346 container number ({problem})")
        equipment_reference = ref
        empty_indicator = _code(event, "emptyIndicatorCode", "emptyIndicatorCode", _EMPTY, required=True)

    location = _unlocode(_obj(event, "eventLocation", "eventLocation"), "eventLocation")
    call_id, mode, call_location, imo = _transport_call(event, required=not equipment)

    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_type_code": type_code,
        "event_classifier": classifier,
        "equipment_reference": equipment_reference,
        "event_time_ms": event_ms,
        "event_created_ms": created_ms,
        "location": location or call_location,
        "transport_call_id": call_id,
        "mode_of_transport": mode,
        "vessel_imo": imo,
        "empty_indicator": empty_indicator,
        "seals": _seals(event),
        "document_references": _document_references(event),
    }
