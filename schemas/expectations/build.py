"""Build the data contracts (Great Expectations suites) of the four input streams.

    python -m schemas.expectations.build            # rewrite schemas/expectations/*.json
    python -m schemas.expectations.build --check    # exit 1 if the committed JSON is stale

One source of truth: code lists come from transforms/codes.py and the Avro enums
(schemas/avro/*.avsc), formats from the patterns in transforms/codes.py, time bounds and seizure
categories from transforms/validation.py. Nothing is copied here; only the plausibility bounds
(ranges, string lengths) and the cross-field rules are defined in this file.

Every expectation carries meta.name (a stable id "<stream>.<field>.<rule>", what dead letters and
reports name) and a description in words. Suites validate the flat views of
transforms.expectations (columns named there).
"""
from __future__ import annotations

import argparse
import json
import sys

import great_expectations as gx
import great_expectations.expectations as gxe

from schemas import codec
from schemas.expectations import STREAMS, suite_path
from schemas.expectations.gx_custom import ExpectColumnValuesToBeIso6346ContainerNumbers
from transforms import codes, validation

# --- plausibility bounds: far beyond any real consignment, so only garbage and overflow trip them -----
MAX_PACKAGES = 10_000_000
MAX_MASS_KG = 1e9  # a million tonnes
MAX_VALUE = 1e10  # declared value, in its currency
MAX_RECOVERED_EUR = 1e10
MAX_VERSION = 10_000
MAX_GOODS_ITEMS = 999  # ICS2's limit per consignment
MAX_MANIFEST_LINES = 100_000
MAX_ID_LENGTH = 100  # references and ids (DCSA's maxLength for ids)
MAX_NAME_LENGTH = 256
MAX_TEXT_LENGTH = 512  # goods descriptions, addresses

# Characters a filer cannot see: C0 controls, soft hyphen, zero-width and bidi marks, embeddings,
# overrides and isolates, word joiners, the BOM. In a name they hide a watch-list hit.
INVISIBLE_CHARACTERS = "[\x00-\x1f\x7f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
# A Latin letter next to a Cyrillic or Greek one inside a word: the homoglyph trick ("Аcme" with a
# Cyrillic A). Names written wholly in one script pass.
_LATIN, _CYRILLIC_GREEK = "A-Za-z", "\u0370-\u03ff\u0400-\u04ff"
MIXED_SCRIPT_WORD = f"[{_LATIN}][{_CYRILLIC_GREEK}]|[{_CYRILLIC_GREEK}][{_LATIN}]"
# References are printable ASCII (no spaces, no controls).
REFERENCE = "[!-~]+"


def whole(pattern: str) -> str:
    """A pattern matching the whole value (GE searches: anchor at both ends; \\Z, not $, so a
    trailing newline does not pass)."""
    return f"^(?:{pattern})\\Z"


def space_separated(pattern: str) -> str:
    """Zero or more values of `pattern` separated by single spaces (flattened lists)."""
    return f"^(?:(?:{pattern})(?: (?:{pattern}))*)?\\Z"


def enum_symbols(record: str, field: str) -> list[str]:
    """Symbols of an enum field in the current Avro schema of `record`."""
    for f in codec.parsed_schema(record)["fields"]:
        if f["name"] == field:
            t = f["type"]
            if isinstance(t, dict) and t.get("type") == "enum":
                return list(t["symbols"])
            raise ValueError(f"{record}.{field} is not an inline enum: {t!r}")
    raise KeyError(f"{record} has no field {field}")


class SuiteBuilder:
    """Collects expectations for one stream, naming each."""

    def __init__(self, stream: str):
        self.stream = stream
        self.suite = gx.ExpectationSuite(name=stream, meta={"flat_view": f"transforms.expectations.flat_rows({stream!r}, records)"})

    def add(self, name: str, description: str, expectation_class, **kwargs) -> None:
        condition = kwargs.pop("when", None)
        if condition is not None:
            kwargs.update(row_condition=condition, condition_parser="pandas")
        self.suite.add_expectation(expectation_class(
            meta={"name": f"{self.stream}.{name}"}, description=description, **kwargs))

    # shorthands --------------------------------------------------------------------------------
    def required(self, *columns: str) -> None:
        for c in columns:
            self.add(f"{c}.required", f"{c} is present", gxe.ExpectColumnValuesToNotBeNull, column=c)

    def one_of(self, column: str, values, what: str, **kw) -> None:
        self.add(f"{column}.code", f"{column} is a {what}", gxe.ExpectColumnValuesToBeInSet, column=column,
                 value_set=sorted(values), **kw)

    def matches(self, column: str, regex: str, what: str, rule: str = "format") -> None:
        self.add(f"{column}.{rule}", f"{column} is {what}", gxe.ExpectColumnValuesToMatchRegex, column=column, regex=regex)

    def between(self, column: str, low, high, what: str, strict_min: bool = False, strict_max: bool = False) -> None:
        self.add(f"{column}.range", f"{column} {what}", gxe.ExpectColumnValuesToBeBetween, column=column,
                 min_value=low, max_value=high, strict_min=strict_min, strict_max=strict_max)

    def max_length(self, column: str, n: int) -> None:
        self.add(f"{column}.length", f"{column} has 1 to {n} characters", gxe.ExpectColumnValueLengthsToBeBetween,
                 column=column, min_value=1, max_value=n)

    def no_tricks(self, column: str, homoglyphs: bool = True) -> None:
        self.add(f"{column}.invisible_characters", f"{column} has no invisible, control or bidi-override characters",
                 gxe.ExpectColumnValuesToNotMatchRegex, column=column, regex=INVISIBLE_CHARACTERS)
        if homoglyphs:
            self.add(f"{column}.mixed_script", f"{column} does not mix Latin with Cyrillic or Greek letters in a word",
                     gxe.ExpectColumnValuesToNotMatchRegex, column=column, regex=MIXED_SCRIPT_WORD)

    def event_time(self, column: str) -> None:
        self.between(column, validation.MIN_TIME_MS, validation.MAX_TIME_MS - 1, "is an epoch-ms time in 2000..2100")

    def not_a_duplicate(self, key: str) -> None:
        self.add("duplicate_of.unique", f"no earlier record in the batch has the same {key}",
                 gxe.ExpectColumnValuesToBeNull, column="duplicate_of")

    def build(self) -> dict:
        d = self.suite.to_json_dict()
        d.pop("id", None)
        return d


def declarations() -> dict:
    b = SuiteBuilder("declarations")
    b.required("declaration_id", "version", "message_type", "filing_level", "house_document", "master_document",
               "declarant_id", "consignor_name", "consignor_country", "consignee_name", "consignee_country",
               "transport_mode", "place_of_loading", "place_of_unloading", "filed_at_ms", "goods_count",
               "hs_code", "description", "packages", "gross_mass_kg", "value", "currency", "origin_country")
    b.one_of("message_type", enum_symbols("Declaration", "message_type"), "message type (Avro enum MessageType)")
    b.one_of("filing_level", enum_symbols("Declaration", "filing_level"), "filing level (Avro enum FilingLevel)")
    b.one_of("transport_mode", enum_symbols("Declaration", "transport_mode"), "mode of transport (Avro enum TransportMode)")
    for c in ("declaration_id", "house_document", "master_document", "declarant_id"):
        b.max_length(c, MAX_ID_LENGTH)
        b.matches(c, whole(REFERENCE), "printable ASCII without spaces", rule="characters")
    b.max_length("conveyance_ref", MAX_ID_LENGTH)
    b.between("version", 1, MAX_VERSION, f"is 1..{MAX_VERSION}")
    for party in ("consignor", "consignee", "notify"):
        b.max_length(f"{party}_name", MAX_NAME_LENGTH)
        b.no_tricks(f"{party}_name")
        b.matches(f"{party}_country", whole(codes.COUNTRY_CODE_PATTERN), "an ISO 3166-1 alpha-2 country code")
    for c in ("place_of_loading", "place_of_unloading"):
        b.matches(c, whole(codes.UNLOCODE_PATTERN), "a UN/LOCODE")
    b.matches("itinerary", whole(f"{codes.COUNTRY_CODE_PATTERN}(?: {codes.COUNTRY_CODE_PATTERN})*"),
              "one or more ISO 3166-1 alpha-2 country codes")
    b.add("containers.iso6346", "containers are ISO 6346 numbers with a valid check digit",
          ExpectColumnValuesToBeIso6346ContainerNumbers, column="containers")
    b.add("containers.none_for_air_and_post", "AIR and POSTAL consignments name no containers",
          gxe.ExpectColumnValuesToBeInSet, column="containers", value_set=[""],
          when='transport_mode in ["AIR", "POSTAL"]')
    b.add("master_document.equals_house_for_master_filing", "a MASTER-level filing names its master document as the house reference",
          gxe.ExpectColumnPairValuesToBeEqual, column_A="house_document", column_B="master_document",
          when='filing_level == "MASTER"')
    b.event_time("filed_at_ms")
    b.between("goods_count", 1, MAX_GOODS_ITEMS, f"is 1..{MAX_GOODS_ITEMS} goods items")
    b.matches("hs_code", whole(codes.HS_CODE_PATTERN), "an HS code of 6, 8 or 10 digits")
    b.max_length("description", MAX_TEXT_LENGTH)
    b.no_tricks("description", homoglyphs=False)
    b.between("packages", 1, MAX_PACKAGES, f"is 1..{MAX_PACKAGES:,}")
    b.between("gross_mass_kg", 0, MAX_MASS_KG, f"is above 0 and at most {MAX_MASS_KG:,.0f} kg", strict_min=True)
    b.between("value", 0, MAX_VALUE, f"is 0..{MAX_VALUE:,.0f}")
    b.matches("currency", whole(codes.CURRENCY_PATTERN), "an ISO 4217 currency code")
    b.matches("origin_country", whole(codes.COUNTRY_CODE_PATTERN), "an ISO 3166-1 alpha-2 country code")
    b.not_a_duplicate("declaration_id and version")
    return b.build()


def manifests() -> dict:
    b = SuiteBuilder("manifests")
    b.required("manifest_id", "carrier_id", "transport_mode", "conveyance_ref", "voyage", "port_of_loading",
               "port_of_discharge", "filed_at_ms", "lines_count", "master_document", "house_document",
               "consignee_name", "description", "packages", "gross_mass_kg")
    b.one_of("transport_mode", enum_symbols("Manifest", "transport_mode"), "mode of transport (Avro enum TransportMode)")
    for c in ("manifest_id", "carrier_id", "master_document", "house_document"):
        b.max_length(c, MAX_ID_LENGTH)
        b.matches(c, whole(REFERENCE), "printable ASCII without spaces", rule="characters")
    for c in ("conveyance_ref", "voyage"):
        b.max_length(c, MAX_ID_LENGTH)
    for c in ("port_of_loading", "port_of_discharge"):
        b.matches(c, whole(codes.UNLOCODE_PATTERN), "a UN/LOCODE")
    b.event_time("filed_at_ms")
    b.between("lines_count", 1, MAX_MANIFEST_LINES, f"is 1..{MAX_MANIFEST_LINES:,} lines")
    b.max_length("consignee_name", MAX_NAME_LENGTH)
    b.no_tricks("consignee_name")
    b.max_length("description", MAX_TEXT_LENGTH)
    b.no_tricks("description", homoglyphs=False)
    b.matches("hs_code", whole(codes.MANIFEST_HS_CODE_PATTERN), "an HS code of 4, 6, 8 or 10 digits")
    b.add("container.iso6346", "the container is an ISO 6346 number with a valid check digit",
          ExpectColumnValuesToBeIso6346ContainerNumbers, column="container")
    b.between("packages", 1, MAX_PACKAGES, f"is 1..{MAX_PACKAGES:,}")
    b.between("gross_mass_kg", 0, MAX_MASS_KG, f"is above 0 and at most {MAX_MASS_KG:,.0f} kg", strict_min=True)
    b.not_a_duplicate("manifest_id, filed_at_ms and house document (a line listed twice, or a manifest sent twice)")
    return b.build()


def container_events() -> dict:
    b = SuiteBuilder("container_events")
    b.required("event_id", "event_type", "event_type_code", "event_classifier", "event_time_ms", "event_created_ms")
    b.max_length("event_id", MAX_ID_LENGTH)
    b.one_of("event_type", enum_symbols("ContainerEvent", "event_type"), "DCSA event type (Avro enum EventType)")
    b.add("event_type_code.equipment_code", "an EQUIPMENT event has a DCSA equipment event type code",
          gxe.ExpectColumnValuesToBeInSet, column="event_type_code", value_set=sorted(codes.EQUIPMENT_EVENT_TYPE_CODES),
          when='event_type == "EQUIPMENT"')
    b.add("event_type_code.transport_code", "a TRANSPORT event has a DCSA transport event type code",
          gxe.ExpectColumnValuesToBeInSet, column="event_type_code", value_set=sorted(codes.TRANSPORT_EVENT_TYPE_CODES),
          when='event_type == "TRANSPORT"')
    b.one_of("event_classifier", codes.EVENT_CLASSIFIERS, "DCSA event classifier code")
    b.add("equipment_reference.required_for_equipment", "an EQUIPMENT event names its container",
          gxe.ExpectColumnValuesToNotBeNull, column="equipment_reference", when='event_type == "EQUIPMENT"')
    b.add("equipment_reference.iso6346", "the container is an ISO 6346 number with a valid check digit",
          ExpectColumnValuesToBeIso6346ContainerNumbers, column="equipment_reference")
    b.event_time("event_time_ms")
    b.event_time("event_created_ms")
    b.add("event_time_ms.not_after_created", "an actual (ACT) event happened before the carrier's system created it",
          gxe.ExpectColumnPairValuesAToBeGreaterThanB, column_A="event_created_ms", column_B="event_time_ms",
          or_equal=True, when='event_classifier == "ACT"')
    b.matches("location", whole(codes.UNLOCODE_PATTERN), "a UN/LOCODE")
    b.max_length("transport_call_id", MAX_ID_LENGTH)
    b.one_of("mode_of_transport", codes.MODES_OF_TRANSPORT, "DCSA mode of transport")
    b.matches("vessel_imo", whole(codes.IMO_NUMBER_PATTERN), "a 7-digit IMO number")
    b.one_of("empty_indicator", codes.EMPTY_INDICATOR_CODES, "DCSA empty indicator code")
    b.not_a_duplicate("event_id")
    return b.build()


def control_results() -> dict:
    b = SuiteBuilder("control_results")
    b.required("declaration_id", "control_type", "finding", "recovered_amount_eur", "controlled_at_ms")
    b.max_length("declaration_id", MAX_ID_LENGTH)
    b.one_of("control_type", enum_symbols("ControlResult", "control_type"), "control type (Avro enum ControlType)")
    b.one_of("finding", enum_symbols("ControlResult", "finding"), "control outcome (Avro enum Finding)")
    b.one_of("seizure_category", validation.SEIZURE_CATEGORIES, "seizure category")
    b.add("seizure_category.required_for_seizure", "a SEIZURE names its category", gxe.ExpectColumnValuesToNotBeNull,
          column="seizure_category", when='finding == "SEIZURE"')
    b.add("seizure_category.only_for_seizure", "only a SEIZURE has a seizure category", gxe.ExpectColumnValuesToBeNull,
          column="seizure_category", when='finding != "SEIZURE"')
    b.between("recovered_amount_eur", 0, MAX_RECOVERED_EUR, f"is 0..{MAX_RECOVERED_EUR:,.0f}")
    b.event_time("controlled_at_ms")
    b.not_a_duplicate("declaration_id and controlled_at_ms")
    return b.build()


BUILDERS = {"declarations": declarations, "manifests": manifests, "container_events": container_events,
            "control_results": control_results}
assert tuple(BUILDERS) == STREAMS


def render(suite: dict) -> str:
    return json.dumps(suite, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the committed JSON is current")
    args = parser.parse_args(argv)
    gx.get_context(mode="ephemeral")  # GE builds suites only with a context current
    stale = []
    for stream, build in BUILDERS.items():
        text, path = render(build()), suite_path(stream)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path.name)
        if not args.check:
            path.write_text(text)
    if args.check and stale:
        print(f"stale: {', '.join(stale)}; run python -m schemas.expectations.build", file=sys.stderr)
        return 1
    print(("rewrote " + ", ".join(stale)) if stale and not args.check else "suites current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
