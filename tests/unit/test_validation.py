"""transforms.validation: semantic checks of decoded records."""
import copy
import math

import pytest
from fastavro.validation import validate
from hypothesis import HealthCheck, given, settings, strategies as st

import schemas
from tests.unit.fixtures import records
from transforms.validation import (
    VALIDATORS,
    ValidationError,
    validate_container_event,
    validate_control_result,
    validate_declaration,
    validate_manifest,
)


def set_path(rec, path, value):
    rec = copy.deepcopy(rec)
    keys = path.replace("]", "").replace("[", ".").split(".")
    target = rec
    for k in keys[:-1]:
        target = target[int(k)] if isinstance(target, list) else target[k]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return rec


def problem(validator, rec):
    with pytest.raises(ValidationError) as info:
        validator(rec)
    return str(info.value)


def test_validators_map_streams():
    assert VALIDATORS == {
        "declarations": validate_declaration,
        "manifests": validate_manifest,
        "container_events": validate_container_event,
        "control_results": validate_control_result,
    }
    assert set(VALIDATORS) == set(schemas.STREAM_SCHEMAS)
    assert issubclass(ValidationError, ValueError)


@pytest.mark.parametrize(
    "validator, make",
    [(validate_declaration, records.declaration), (validate_manifest, records.manifest),
     (validate_container_event, records.container_event), (validate_control_result, records.control_result)],
)
def test_good_records_pass(validator, make):
    assert validator(make()) is None


def test_good_variants_pass():
    validate_declaration(records.declaration(version=3, message_type="AMENDMENT"))
    validate_declaration(records.declaration(version=2, message_type="INVALIDATION"))
    validate_declaration(records.declaration(transport_mode="AIR", containers=[], seals=[], itinerary=[]))
    validate_declaration(records.declaration(notify_party=records.party("Notify GmbH", "DE")))
    validate_declaration(records.declaration(goods=[records.goods_item(value=0.0, hs_code="9405400000")]))
    validate_manifest(records.manifest(lines=[records.manifest_line(hs_code="94054000")]))
    validate_container_event(records.container_event(
        event_type="TRANSPORT", event_type_code="ARRI", equipment_reference=None, empty_indicator=None,
        seals=[], location=None, vessel_imo=None, mode_of_transport=None))
    for finding in ("NO_FINDING", "IRREGULARITY"):
        validate_control_result(records.control_result(finding=finding, seizure_category=None))


DECLARATION_BAD = [
    ("declaration_id", "", "declaration_id: must not be empty"),
    ("version", 0, "version: must be >= 1, got 0"),
    ("version", -3, "version: must be >= 1"),
    ("version", 2, "version: a FILING is version 1, got 2"),
    ("house_document", "", "house_document: must not be empty"),
    ("house_document", "  ", "house_document: must not be empty"),
    ("declarant_id", "", "declarant_id: must not be empty"),
    ("consignor.name", " ", "consignor.name: must not be empty"),
    ("consignee.country", "NLD", "consignee.country: 'NLD' is not an ISO 3166 alpha-2 country code"),
    ("notify_party", {"name": "", "eori": None, "country": "DE", "address": None, "aeo": False},
     "notify_party.name: must not be empty"),
    ("goods", [], "goods: at least one goods item is required"),
    ("goods[0].hs_code", "9405", "goods[0].hs_code: '9405' is not an HS code (6, 8 or 10 digits)"),
    ("goods[1].hs_code", "8504.40", "goods[1].hs_code: '8504.40' is not an HS code"),
    ("goods[0].description", "", "goods[0].description: must not be empty"),
    ("goods[0].packages", 0, "goods[0].packages: must be positive, got 0"),
    ("goods[0].packages", -5, "goods[0].packages: must be positive, got -5"),
    ("goods[0].gross_mass_kg", 0.0, "goods[0].gross_mass_kg: must be a positive number, got 0.0"),
    ("goods[0].gross_mass_kg", -1.0, "goods[0].gross_mass_kg: must be a positive number"),
    ("goods[0].gross_mass_kg", math.nan, "goods[0].gross_mass_kg: must be a positive number, got nan"),
    ("goods[0].gross_mass_kg", math.inf, "goods[0].gross_mass_kg: must be a positive number, got inf"),
    ("goods[0].value", -0.01, "goods[0].value: must be a non-negative number, got -0.01"),
    ("goods[0].value", math.nan, "goods[0].value: must be a non-negative number"),
    ("goods[0].currency", "usd", "goods[0].currency: 'usd' is not an ISO 4217 currency code"),
    ("goods[0].origin_country", "China", "goods[0].origin_country: 'China' is not an ISO 3166 alpha-2"),
    ("place_of_loading", "CN-YTN", "place_of_loading: 'CN-YTN' is not a UN/LOCODE"),
    ("place_of_unloading", "nlrtm", "place_of_unloading: 'nlrtm' is not a UN/LOCODE"),
    ("itinerary", ["CN", "SGP", "NL"], "itinerary[1]: 'SGP' is not an ISO 3166 alpha-2 country code"),
    ("containers", ["APZU4812090", "MSKU1234560"],
     "containers[1]: 'MSKU1234560' is not a valid ISO 6346 container number (check digit is 0, expected 5)"),
    ("containers", ["MSKU 123456 5"], "containers[0]: 'MSKU 123456 5' is not a valid ISO 6346 container number"),
    ("seals", ["CN1", ""], "seals[1]: must not be empty"),
    ("filed_at_ms", 0, "filed_at_ms: 0 is not an epoch-ms time in 2000..2100"),
    ("filed_at_ms", 1_764_547_200, "filed_at_ms: 1764547200 is not an epoch-ms time"),  # seconds, not ms
    ("filed_at_ms", 2**62, "filed_at_ms:"),
]


@pytest.mark.parametrize("path, value, message", DECLARATION_BAD, ids=[f"{p}={v!r:.20}" for p, v, _ in DECLARATION_BAD])
def test_bad_declarations(path, value, message):
    rec = set_path(records.declaration(), path, value)
    assert validate(rec, schemas.parsed_schema("Declaration"))  # structurally Avro-valid
    got = problem(validate_declaration, rec)
    assert got.startswith(message), got


@pytest.mark.parametrize("message_type", ["AMENDMENT", "INVALIDATION"])
def test_amendments_are_later_versions(message_type):
    assert problem(validate_declaration, records.declaration(message_type=message_type)).startswith(
        f"version: an {message_type} is version 2 or later, got 1")


MANIFEST_BAD = [
    ("manifest_id", "", "manifest_id: must not be empty"),
    ("carrier_id", "", "carrier_id: must not be empty"),
    ("conveyance_ref", "", "conveyance_ref: must not be empty"),
    ("voyage", " ", "voyage: must not be empty"),
    ("port_of_loading", "YANTIAN", "port_of_loading: 'YANTIAN' is not a UN/LOCODE"),
    ("port_of_discharge", "NL RT", "port_of_discharge: 'NL RT' is not a UN/LOCODE"),
    ("lines", [], "lines: at least one line is required"),
    ("lines[0].house_document", "", "lines[0].house_document: must not be empty"),
    ("lines[0].hs_code", "94", "lines[0].hs_code: '94' is not an HS code (4, 6, 8 or 10 digits)"),
    ("lines[0].hs_code", "94054", "lines[0].hs_code: '94054' is not an HS code"),
    ("lines[0].container", "APZU4812091", "lines[0].container: 'APZU4812091' is not a valid ISO 6346 container number"),
    ("lines[1].packages", 0, "lines[1].packages: must be positive, got 0"),
    ("lines[1].gross_mass_kg", -2.0, "lines[1].gross_mass_kg: must be a positive number, got -2.0"),
    ("filed_at_ms", -1, "filed_at_ms: -1 is not an epoch-ms time"),
]


@pytest.mark.parametrize("path, value, message", MANIFEST_BAD, ids=[f"{p}={v!r:.20}" for p, v, _ in MANIFEST_BAD])
def test_bad_manifests(path, value, message):
    rec = set_path(records.manifest(), path, value)
    assert validate(rec, schemas.parsed_schema("Manifest"))
    got = problem(validate_manifest, rec)
    assert got.startswith(message), got


EVENT_BAD = [
    ("event_id", "", "event_id: must not be empty"),
    ("event_type_code", "ARRI", "event_type_code: 'ARRI' is not a DCSA equipment event code"),
    ("event_type_code", "LODE", "event_type_code: 'LODE' is not a DCSA equipment event code"),
    ("event_classifier", "ACTUAL", "event_classifier: 'ACTUAL' is not PLN, ACT, REQ or EST"),
    ("equipment_reference", None, "equipment_reference: required for an EQUIPMENT event"),
    ("equipment_reference", "MSKU1234560", "equipment_reference: 'MSKU1234560' is not a valid ISO 6346"),
    ("event_time_ms", 12, "event_time_ms: 12 is not an epoch-ms time"),
    ("event_created_ms", 2**50, "event_created_ms:"),
    ("location", "DE-HAM", "location: 'DE-HAM' is not a UN/LOCODE"),
    ("mode_of_transport", "SHIP", "mode_of_transport: 'SHIP' is not VESSEL, RAIL, TRUCK or BARGE"),
    ("vessel_imo", "IMO9321483", "vessel_imo: 'IMO9321483' is not a 7-digit IMO number"),
    ("empty_indicator", "FULL", "empty_indicator: 'FULL' is not EMPTY or LADEN"),
    ("seals", [""], "seals[0]: must not be empty"),
    ("document_references", ["B1", " "], "document_references[1]: must not be empty"),
]


@pytest.mark.parametrize("path, value, message", EVENT_BAD, ids=[f"{p}={v!r:.20}" for p, v, _ in EVENT_BAD])
def test_bad_container_events(path, value, message):
    rec = set_path(records.container_event(), path, value)
    assert validate(rec, schemas.parsed_schema("ContainerEvent"))
    got = problem(validate_container_event, rec)
    assert got.startswith(message), got


def test_transport_event_code_list():
    rec = records.container_event(event_type="TRANSPORT", event_type_code="LOAD", equipment_reference=None)
    assert problem(validate_container_event, rec).startswith("event_type_code: 'LOAD' is not a DCSA transport event code")


CONTROL_BAD = [
    ("declaration_id", "", "declaration_id: must not be empty"),
    ("seizure_category", None, "seizure_category: required for a SEIZURE"),
    ("seizure_category", "FAKES", "seizure_category: 'FAKES' is not one of COUNTERFEIT, DRUGS,"),
    ("recovered_amount_eur", -10.0, "recovered_amount_eur: must be a non-negative number, got -10.0"),
    ("recovered_amount_eur", math.inf, "recovered_amount_eur: must be a non-negative number, got inf"),
    ("controlled_at_ms", 0, "controlled_at_ms: 0 is not an epoch-ms time"),
]


@pytest.mark.parametrize("path, value, message", CONTROL_BAD, ids=[f"{p}={v!r:.20}" for p, v, _ in CONTROL_BAD])
def test_bad_control_results(path, value, message):
    rec = set_path(records.control_result(), path, value)
    assert validate(rec, schemas.parsed_schema("ControlResult"))
    got = problem(validate_control_result, rec)
    assert got.startswith(message), got


def test_seizure_category_only_for_seizures():
    rec = records.control_result(finding="NO_FINDING")
    assert problem(validate_control_result, rec) == (
        "seizure_category: only for a SEIZURE, but finding is NO_FINDING")


def test_wire_round_trip_then_validate():
    for stream, name in schemas.STREAM_SCHEMAS.items():
        make = {"Declaration": records.declaration, "Manifest": records.manifest,
                "ContainerEvent": records.container_event, "ControlResult": records.control_result}[name]
        VALIDATORS[stream](schemas.decode(name, schemas.encode(name, make())))


# --- never anything but ValidationError ---------------------------------------------------------------

@pytest.mark.parametrize("validator", list(VALIDATORS.values()))
@pytest.mark.parametrize("value", [None, [], "x", 1, {}, {"declaration_id": "x"}])
def test_garbage_gives_validation_error(validator, value):
    with pytest.raises(ValidationError):
        validator(value)


def test_missing_field_names_it():
    rec = records.declaration()
    del rec["goods"]
    assert problem(validate_declaration, rec) == "goods: missing field"


garbage = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
                    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
SAMPLES = [("declarations", records.declaration), ("manifests", records.manifest),
           ("container_events", records.container_event), ("control_results", records.control_result)]


def _leaf_paths(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            p = f"{prefix}.{k}" if prefix else k
            yield p
            yield from _leaf_paths(v, p)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            p = f"{prefix}[{i}]"
            yield p
            yield from _leaf_paths(v, p)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_field_values_never_raise_anything_else(data):
    stream, make = data.draw(st.sampled_from(SAMPLES))
    rec = make()
    # Paths of the well-formed record only: garbage may hold dict keys with dots or brackets.
    paths = list(_leaf_paths(rec))
    for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3, unique=True)):
        try:
            rec = set_path(rec, path, data.draw(garbage))
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # an earlier replacement removed this path's parent

    try:
        VALIDATORS[stream](rec)
    except ValidationError as exc:
        assert ": " in str(exc)
