"""transforms.dcsa.from_dcsa: DCSA T&T 2.2 events -> ContainerEvent records, or DcsaError."""
import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastavro.validation import validate
from hypothesis import HealthCheck, given, settings, strategies as st

import schemas
from transforms.dcsa import DcsaError, from_dcsa, parse_datetime_ms

# Events assembled from the DCSA-OpenAPI tnt/v2 2.2.0 examples (see "_source" in the file).
FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "dcsa_tnt_v2_2_0_examples.json").read_text("utf-8"))
EVENTS = FIXTURES["events"]
SHIPMENT_EXAMPLES = FIXTURES["shipment_examples"]
EQUIPMENT = EVENTS[0]
TRANSPORT = EVENTS[1]
SCHEMA = schemas.parsed_schema("ContainerEvent")


def assert_schema_valid(record):
    assert validate(record, SCHEMA, raise_errors=True)
    # and it goes over the wire (catches strings that are not encodable as UTF-8)
    assert schemas.decode("ContainerEvent", schemas.encode("ContainerEvent", record)) == record


def with_(event, path, value=..., drop=False):
    """Copy of event with the value at a dotted path replaced (or dropped)."""
    event = copy.deepcopy(event)
    keys = path.split(".")
    target = event
    for k in keys[:-1]:
        target = target[int(k)] if isinstance(target, list) else target[k]
    last = int(keys[-1]) if isinstance(target, list) else keys[-1]
    if drop:
        del target[last]
    else:
        target[last] = value
    return event


def error_of(event):
    with pytest.raises(DcsaError) as info:
        from_dcsa(event)
    return str(info.value)


# --- the spec's examples ----------------------------------------------------------------------------

@pytest.mark.parametrize("event", EVENTS, ids=[e["_note"][:30] for e in EVENTS])
def test_spec_examples_are_schema_valid(event):
    assert_schema_valid(from_dcsa(event))


def test_equipment_example_fields():
    rec = from_dcsa(EQUIPMENT)
    assert rec == {
        "event_id": "3cecb101-7a1a-43a4-9d62-e88a131651e2",
        "event_type": "EQUIPMENT",
        "event_type_code": "LOAD",
        "event_classifier": "EST",
        "equipment_reference": "APZU4812090",
        "event_time_ms": int(datetime.fromisoformat("2019-11-12T07:41:00+08:30").timestamp() * 1000),
        "event_created_ms": int(datetime.fromisoformat("2021-01-09T14:12:56+01:00").timestamp() * 1000),
        "location": "FRPAR",
        "transport_call_id": "123e4567-e89b-12d3-a456-426614174000",
        "mode_of_transport": "VESSEL",
        "vessel_imo": "9321483",
        "empty_indicator": "EMPTY",
        "seals": ["DCSA000001"],
        "document_references": ["ABC123123123", "85943567-eedb-98d3-f4ed-aed697474ed4"],
    }


def test_transport_example_has_no_equipment():
    rec = from_dcsa(TRANSPORT)
    assert rec["event_type"] == "TRANSPORT" and rec["event_type_code"] == "ARRI"
    assert rec["equipment_reference"] is None and rec["empty_indicator"] is None
    assert rec["seals"] == [] and rec["location"] == "FRPAR"


def test_transport_event_ignores_equipment_reference():
    assert from_dcsa(with_(TRANSPORT, "equipmentReference", "APZU4812090"))["equipment_reference"] is None


def test_deprecated_event_type_code_and_call_id():
    rec = from_dcsa(EVENTS[3])
    assert rec["event_type_code"] == "DEPA" and rec["event_classifier"] == "PLN"
    no_call = with_(with_(EQUIPMENT, "transportCall", drop=True), "transportCallID", "TC-1")
    assert from_dcsa(no_call)["transport_call_id"] == "TC-1"


def test_shipment_events_are_rejected():
    for event in SHIPMENT_EXAMPLES:
        message = error_of(event)
        assert message.startswith("eventType: SHIPMENT events are") and "not container events" in message


# --- location ------------------------------------------------------------------------------------------

def test_location_prefers_event_location():
    event = with_(EQUIPMENT, "eventLocation.UNLocationCode", "NLRTM")
    assert from_dcsa(event)["location"] == "NLRTM"


def test_location_falls_back_to_transport_call():
    event = with_(EQUIPMENT, "eventLocation", drop=True)
    event = with_(event, "transportCall.UNLocationCode", "DEHAM")
    assert from_dcsa(event)["location"] == "DEHAM"
    event = with_(event, "transportCall.UNLocationCode", drop=True)
    event = with_(event, "transportCall.location", {"UNLocationCode": "CNSHA"})
    assert from_dcsa(event)["location"] == "CNSHA"
    assert from_dcsa(EVENTS[2])["location"] == "FRPAR"


def test_no_location_at_all_is_null():
    event = with_(with_(EQUIPMENT, "eventLocation", drop=True), "transportCall", drop=True)
    rec = from_dcsa(event)
    assert rec["location"] is None and rec["transport_call_id"] is None and rec["vessel_imo"] is None
    assert_schema_valid(rec)


def test_null_means_absent():
    event = with_(EQUIPMENT, "eventLocation", None)
    event = with_(event, "seals", None)
    event = with_(event, "documentReferences", None)
    rec = from_dcsa(event)
    assert rec["location"] == "FRPAR"  # from the transport call
    assert rec["seals"] == [] and rec["document_references"] == []


# --- times -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-01-09T14:12:56+01:00", "2021-01-09T13:12:56+00:00"),
        ("2019-11-12T07:41:00+08:30", "2019-11-11T23:11:00+00:00"),
        ("2021-01-09T14:12:56Z", "2021-01-09T14:12:56+00:00"),
        ("2021-01-09T14:12:56z", "2021-01-09T14:12:56+00:00"),
        ("2021-01-09T14:12:56-05:00", "2021-01-09T19:12:56+00:00"),
        ("2021-01-09T14:12:56+0100", "2021-01-09T13:12:56+00:00"),
        ("2021-01-09T14:12Z", "2021-01-09T14:12:00+00:00"),
        ("2021-01-09 14:12:56Z", "2021-01-09T14:12:56+00:00"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59+00:00"),
    ],
)
def test_times_to_epoch_ms(text, expected):
    assert parse_datetime_ms(text) == int(datetime.fromisoformat(expected).timestamp()) * 1000


def test_fractions_truncate_to_ms():
    base = parse_datetime_ms("2021-01-09T14:12:56Z")
    assert parse_datetime_ms("2021-01-09T14:12:56.1Z") == base + 100
    assert parse_datetime_ms("2021-01-09T14:12:56.123456789Z") == base + 123
    assert parse_datetime_ms("2021-01-09T14:12:56,5+00:00") == base + 500


def test_extreme_years_fit_an_avro_long():
    for text in ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999-23:59"]:
        event = with_(EQUIPMENT, "eventDateTime", text)
        assert_schema_valid(from_dcsa(event))


@pytest.mark.parametrize(
    "text, problem",
    [
        ("2021-01-09T14:12:56", "is not an ISO 8601 date-time with a UTC offset"),
        ("2021-01-09", "is not an ISO 8601 date-time with a UTC offset"),
        ("09/01/2021 14:12", "is not an ISO 8601 date-time with a UTC offset"),
        ("2021-01-09T14:12:56+01:00\n", "is not an ISO 8601 date-time with a UTC offset"),
        ("２０２１-01-09T14:12:56Z", "is not an ISO 8601 date-time with a UTC offset"),
        ("", "is not an ISO 8601 date-time"),
        ("2021-13-09T14:12:56Z", "is not a valid date-time"),
        ("2021-02-30T14:12:56Z", "is not a valid date-time"),
        ("2021-01-09T24:00:00Z", "is not a valid date-time"),
        ("2021-01-09T23:59:60Z", "is not a valid date-time"),
        ("0000-01-09T10:00:00Z", "is not a valid date-time"),
        ("2021-01-09T14:12:56+24:00", "has an invalid UTC offset"),
        ("2021-01-09T14:12:56+01:60", "has an invalid UTC offset"),
    ],
)
def test_bad_times(text, problem):
    for field in ("eventDateTime", "eventCreatedDateTime"):
        message = error_of(with_(EQUIPMENT, field, text))
        assert message.startswith(f"{field}: ") and problem in message


# --- rejections with a field and a problem ---------------------------------------------------------------

BAD = [
    # (path, value or DROP, expected message start)
    ("equipmentReference", "MSKU1234560",
     "equipmentReference: 'MSKU1234560' fails the ISO 6346 check digit (expected 5)"),
    ("equipmentReference", "APZU4812091", "equipmentReference: 'APZU4812091' fails the ISO 6346 check digit (expected 0)"),
    ("equipmentReference", "ABC123", "equipmentReference: 'ABC123' is not an ISO 6346 container number (must be 4"),
    ("equipmentReference", "APZX4812090", "equipmentReference: 'APZX4812090' is not an ISO 6346 container number (category"),
    ("equipmentReference", 4812090, "equipmentReference: expected a string, got int"),
    ("equipmentReference", "DROP", "equipmentReference: missing required field"),
    ("eventLocation.UNLocationCode", "DE-HAM", "eventLocation.UNLocationCode: 'DE-HAM' is not a UN/LOCODE"),
    ("eventLocation.UNLocationCode", 12345, "eventLocation.UNLocationCode: expected a string, got int"),
    ("eventLocation", "FRPAR", "eventLocation: expected an object, got str"),
    ("transportCall.UNLocationCode", "frpar", "transportCall.UNLocationCode: 'frpar' is not a UN/LOCODE"),
    ("transportCall.location", {"UNLocationCode": "FRPA1"},
     "transportCall.location.UNLocationCode: 'FRPA1' is not a UN/LOCODE"),
    ("equipmentEventTypeCode", "LODE", "equipmentEventTypeCode: 'LODE' is not a DCSA code (LOAD, DISC, GTIN, GTOT, STUF, STRP, PICK, DROP, INSP, RSEA, RMVD)"),
    ("equipmentEventTypeCode", "ARRI", "equipmentEventTypeCode: 'ARRI' is not a DCSA code"),
    ("equipmentEventTypeCode", "load", "equipmentEventTypeCode: 'load' is not a DCSA code"),
    ("equipmentEventTypeCode", "DROP", "equipmentEventTypeCode: missing required field"),
    ("equipmentEventTypeCode", ["LOAD"], "equipmentEventTypeCode: expected a string, got list"),
    ("eventClassifierCode", "XXX", "eventClassifierCode: 'XXX' is not a DCSA code (PLN, ACT, REQ, EST)"),
    ("eventClassifierCode", "DROP", "eventClassifierCode: missing required field"),
    ("emptyIndicatorCode", "FULL", "emptyIndicatorCode: 'FULL' is not a DCSA code (EMPTY, LADEN)"),
    ("emptyIndicatorCode", "DROP", "emptyIndicatorCode: missing required field"),
    ("eventDateTime", "DROP", "eventDateTime: missing required field"),
    ("eventDateTime", None, "eventDateTime: missing required field"),
    ("eventDateTime", 1573513860000, "eventDateTime: expected a string, got int"),
    ("eventCreatedDateTime", "DROP", "eventCreatedDateTime: missing required field"),
    ("eventID", "DROP", "eventID: missing required field"),
    ("eventID", "", "eventID: must not be empty"),
    ("eventID", "   ", "eventID: must not be empty"),
    ("eventID", "x" * 101, "eventID: longer than 100 characters (101)"),
    ("eventID", "id-\ud800", "eventID: not valid Unicode text"),
    ("eventID", 7, "eventID: expected a string, got int"),
    ("eventType", "DROP", "eventType: missing required field"),
    ("eventType", "equipment", "eventType: 'equipment' is not EQUIPMENT or TRANSPORT"),
    ("eventType", True, "eventType: expected a string, got bool"),
    ("seals", "abc", "seals: expected a list, got str"),
    ("seals", {"sealNumber": "1"}, "seals: expected a list, got object"),
    ("seals", ["S1"], "seals[0]: expected an object, got str"),
    ("seals", [{"sealType": "WIR"}], "seals[0].sealNumber: missing required field"),
    ("seals", [{"sealNumber": "S" * 16}], "seals[0].sealNumber: longer than 15 characters (16)"),
    ("seals", [{"sealNumber": "S1", "sealType": "TAPE"}], "seals[0].sealType: 'TAPE' is not a DCSA code (KLP, BLT, WIR)"),
    ("seals", [{"sealNumber": "S1", "sealSource": "ME"}], "seals[0].sealSource: 'ME' is not a DCSA code (CAR, SHI, PHY, VET, CUS)"),
    ("seals", [{"sealNumber": str(i)} for i in range(51)], "seals: more than 50 entries (51)"),
    ("documentReferences", [{"documentReferenceType": "BKG"}],
     "documentReferences[0].documentReferenceValue: missing required field"),
    ("documentReferences", [{"documentReferenceType": "XXX", "documentReferenceValue": "1"}],
     "documentReferences[0].documentReferenceType: 'XXX' is not a DCSA code (BKG, TRD)"),
    ("documentReferences", "ABC", "documentReferences: expected a list, got str"),
    ("transportCall", [], "transportCall: expected an object, got list"),
    ("transportCall.transportCallID", "DROP", "transportCall.transportCallID: missing required field"),
    ("transportCall.modeOfTransport", "DROP", "transportCall.modeOfTransport: missing required field"),
    ("transportCall.modeOfTransport", "AIR", "transportCall.modeOfTransport: 'AIR' is not a DCSA code (VESSEL, RAIL, TRUCK, BARGE)"),
    ("transportCall.vessel", "9321483", "transportCall.vessel: expected an object, got str"),
    ("transportCall.vessel.vesselIMONumber", "DROP", "transportCall.vessel.vesselIMONumber: missing required field"),
    ("transportCall.vessel.vesselIMONumber", "932148", "transportCall.vessel.vesselIMONumber: '932148' is not 7 digits"),
    ("transportCall.vessel.vesselIMONumber", 9321483, "transportCall.vessel.vesselIMONumber: expected a string, got int"),
]


@pytest.mark.parametrize("path, value, message", BAD, ids=[f"{p}={str(v)[:20]}" for p, v, _ in BAD])
def test_bad_equipment_events(path, value, message):
    event = with_(EQUIPMENT, path, drop=True) if value == "DROP" else with_(EQUIPMENT, path, value)
    got = error_of(event)
    assert got.startswith(message), got


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("transportCall", "DROP", "transportCall: missing required field"),
        ("transportEventTypeCode", "DROP", "transportEventTypeCode: missing required field"),
        ("transportEventTypeCode", "LOAD", "transportEventTypeCode: 'LOAD' is not a DCSA code (ARRI, DEPA)"),
    ],
)
def test_bad_transport_events(path, value, message):
    event = with_(TRANSPORT, path, drop=True) if value == "DROP" else with_(TRANSPORT, path, value)
    assert error_of(event).startswith(message)


@pytest.mark.parametrize("value", [None, [], "{}", b"{}", 42, 1.5, True, ("eventType", "EQUIPMENT"), {"a"}])
def test_non_dict_input(value):
    assert error_of(value).startswith("event: expected a JSON object, got ")


def test_dcsa_error_is_a_value_error():
    assert issubclass(DcsaError, ValueError)


def test_long_values_are_cut_in_messages():
    message = error_of(with_(EQUIPMENT, "equipmentEventTypeCode", "X" * 10_000))
    assert len(message) < 200


def test_input_is_not_modified():
    event = copy.deepcopy(EQUIPMENT)
    from_dcsa(event)
    assert event == EQUIPMENT


# --- properties ------------------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["\ud800", "MSKU\udc00", "", " ", "null", "LOAD", "EQUIPMENT", "TRANSPORT", "ARRI",
                     "FRPAR", "DE-HAM", "APZU4812090", "APZU4812091", "2021-01-09T14:12:56Z",
                     "2021-01-09T14:12:56", "9999-12-31T23:59:59-23:59", "EMPTY", "VESSEL", "9321483",
                     "x" * 1000, "１２３"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def _paths(value, prefix=()):
    """Every (container path, key) in a JSON-like value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_events(draw):
    event = copy.deepcopy(draw(st.sampled_from(EVENTS + SHIPMENT_EXAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(event))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = event
        for k in path[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["drop", "replace", "replace", "add"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=25) | st.sampled_from(list(EQUIPMENT)))] = draw(json_values)
    return event


def _total(event):
    try:
        record = from_dcsa(event)
    except DcsaError as exc:
        assert str(exc) and ": " in str(exc)
        return None
    assert_schema_valid(record)
    return record


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_events())
def test_mutated_events_give_dcsa_error_or_a_valid_record(event):
    _total(event)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(list(EQUIPMENT) + list(TRANSPORT)) | st.text(max_size=10), json_values,
                       max_size=12))
def test_arbitrary_dicts_give_dcsa_error_or_a_valid_record(event):
    _total(event)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_arbitrary_json_values_never_raise_anything_else(value):
    _total(value)


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.timezones()))
def test_time_parsing_matches_datetime(dt):
    offset = dt.utcoffset()
    if offset is None or offset.seconds % 60 or abs(offset) >= timedelta(hours=24):
        return  # RFC 3339 offsets are whole minutes
    text = dt.isoformat(timespec="milliseconds")
    delta = dt.astimezone(timezone.utc).replace(tzinfo=None) - datetime(1970, 1, 1)
    expected = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    assert parse_datetime_ms(text) == expected
