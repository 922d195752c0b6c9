"""The data contracts (schemas/expectations) and their batch evaluator (transforms.expectations)."""
import copy
import json

import pytest
from hypothesis import given, settings, strategies as st

from schemas import codec
from schemas.expectations import STREAMS, load_suite
from transforms import codes, validation
from transforms.expectations import expectation_failures, failures_by_record, flat_rows

from tests.unit.fixtures import records as R

GOOD = {
    "declarations": R.declaration,
    "manifests": R.manifest,
    "container_events": R.container_event,
    "control_results": R.control_result,
}


def _set(path, value):
    """A mutation setting a (possibly nested) field: path like "consignor.name" or "goods.0.value"."""
    def apply(rec):
        obj = rec
        keys = path.split(".")
        for k in keys[:-1]:
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        last = keys[-1]
        if isinstance(obj, list):
            obj[int(last)] = value
        else:
            obj[last] = value
        return rec
    return apply


# (stream, mutation, the expectation it must fail)
MUTATIONS = [
    ("declarations", _set("message_type", "CORRECTION"), "declarations.message_type.code"),
    ("declarations", _set("transport_mode", "PIPELINE"), "declarations.transport_mode.code"),
    ("declarations", _set("goods.0.hs_code", "12AB56"), "declarations.hs_code.format"),
    ("declarations", _set("goods.1.hs_code", "8504409"), "declarations.hs_code.format"),
    ("declarations", _set("place_of_loading", "cnytn"), "declarations.place_of_loading.format"),
    ("declarations", _set("place_of_unloading", "NLRTM\n"), "declarations.place_of_unloading.format"),
    ("declarations", _set("consignor.country", "CHN"), "declarations.consignor_country.format"),
    ("declarations", _set("goods.0.origin_country", "cn"), "declarations.origin_country.format"),
    ("declarations", _set("goods.0.currency", "EURO"), "declarations.currency.format"),
    ("declarations", _set("itinerary", ["CN", "sg"]), "declarations.itinerary.format"),
    ("declarations", _set("itinerary", []), "declarations.itinerary.format"),
    ("declarations", _set("containers", ["APZU4812091"]), "declarations.containers.iso6346"),
    ("declarations", _set("goods.0.gross_mass_kg", 0.0), "declarations.gross_mass_kg.range"),
    ("declarations", _set("goods.0.gross_mass_kg", 1e12), "declarations.gross_mass_kg.range"),
    ("declarations", _set("goods.1.value", -1.0), "declarations.value.range"),
    ("declarations", _set("goods.1.value", float("inf")), "declarations.value.range"),
    ("declarations", _set("goods.0.packages", 0), "declarations.packages.range"),
    ("declarations", _set("goods.0.packages", 2**31 - 1), "declarations.packages.range"),
    ("declarations", _set("goods", []), "declarations.goods_count.range"),
    ("declarations", _set("filed_at_ms", 0), "declarations.filed_at_ms.range"),
    ("declarations", _set("declaration_id", "L" * 101), "declarations.declaration_id.length"),
    ("declarations", _set("house_document", "HBL 1"), "declarations.house_document.characters"),
    ("declarations", _set("goods.0.description", "x" * 1_000_000), "declarations.description.length"),
    ("declarations", _set("consignor.name", "Acme\u202eTrading"), "declarations.consignor_name.invisible_characters"),
    ("declarations", _set("consignee.name", "Lu\u200bmen"), "declarations.consignee_name.invisible_characters"),
    ("declarations", _set("consignor.name", "\u0410cme Trading"), "declarations.consignor_name.mixed_script"),
    ("declarations", _set("goods.0.description", "LED\x00lights"), "declarations.description.invisible_characters"),
    ("declarations", _set("notify_party", R.party("Ac\u2066me", "XX1")), "declarations.notify_country.format"),
    ("declarations", lambda d: {**d, "transport_mode": "AIR"}, "declarations.containers.none_for_air_and_post"),
    ("declarations", lambda d: {**d, "filing_level": "MASTER"}, "declarations.master_document.equals_house_for_master_filing"),
    ("declarations", lambda d: {k: v for k, v in d.items() if k != "declarant_id"}, "declarations.declarant_id.required"),
    ("manifests", _set("port_of_loading", "XX"), "manifests.port_of_loading.format"),
    ("manifests", _set("lines.0.hs_code", "94"), "manifests.hs_code.format"),
    ("manifests", _set("lines.0.container", "APZU481209"), "manifests.container.iso6346"),
    ("manifests", _set("lines.1.gross_mass_kg", -5.0), "manifests.gross_mass_kg.range"),
    ("manifests", _set("lines", []), "manifests.lines_count.range"),
    ("manifests", _set("lines.0.consignee_name", "LUMEN\u202e"), "manifests.consignee_name.invisible_characters"),
    ("manifests", lambda m: {**m, "lines": [m["lines"][0], copy.deepcopy(m["lines"][0])]}, "manifests.duplicate_of.unique"),
    ("manifests", _set("transport_mode", "SPACE"), "manifests.transport_mode.code"),
    ("container_events", _set("event_type_code", "ARRI"), "container_events.event_type_code.equipment_code"),
    ("container_events", _set("event_classifier", "XXX"), "container_events.event_classifier.code"),
    ("container_events", _set("mode_of_transport", "AIR"), "container_events.mode_of_transport.code"),
    ("container_events", _set("equipment_reference", "APZU4812091"), "container_events.equipment_reference.iso6346"),
    ("container_events", _set("equipment_reference", None), "container_events.equipment_reference.required_for_equipment"),
    ("container_events", _set("event_created_ms", R.T0), "container_events.event_time_ms.not_after_created"),
    ("container_events", _set("vessel_imo", "93214"), "container_events.vessel_imo.format"),
    ("container_events", _set("empty_indicator", "FULL"), "container_events.empty_indicator.code"),
    ("container_events", _set("location", "NL-RTM"), "container_events.location.format"),
    ("container_events", _set("event_time_ms", 2**62), "container_events.event_time_ms.range"),
    ("control_results", _set("finding", "MAYBE"), "control_results.finding.code"),
    ("control_results", _set("control_type", "XRAY"), "control_results.control_type.code"),
    ("control_results", _set("seizure_category", None), "control_results.seizure_category.required_for_seizure"),
    ("control_results", _set("seizure_category", "GOLD"), "control_results.seizure_category.code"),
    ("control_results", lambda c: {**c, "finding": "NO_FINDING"}, "control_results.seizure_category.only_for_seizure"),
    # NaN counts as missing (as in pandas and GE)
    ("control_results", _set("recovered_amount_eur", float("nan")), "control_results.recovered_amount_eur.required"),
    ("control_results", _set("recovered_amount_eur", 1e300), "control_results.recovered_amount_eur.range"),
]


def names(failures):
    return {name for _, name, _ in failures}


@pytest.mark.parametrize("stream", STREAMS)
def test_good_records_pass(stream):
    records = [GOOD[stream]() for _ in range(3)]
    if stream == "declarations":
        records = [R.declaration(version=1), R.declaration(declaration_id="D2"), R.declaration(declaration_id="D3")]
    if stream == "container_events":
        records = [R.container_event(event_id=f"e{i}") for i in range(3)]
    if stream == "control_results":
        records = [R.control_result(controlled_at_ms=R.T0 + i) for i in range(3)]
    if stream == "manifests":
        records = [R.manifest(filed_at_ms=R.T0 + i) for i in range(3)]
    assert expectation_failures(stream, records) == []


@pytest.mark.parametrize("stream,mutate,expected", MUTATIONS, ids=[m[2] + f"-{i}" for i, m in enumerate(MUTATIONS)])
def test_each_bad_value_fails_its_expectation(stream, mutate, expected):
    bad = mutate(GOOD[stream]())
    failures = expectation_failures(stream, [GOOD[stream](), bad])
    assert {i for i, _, _ in failures} == {1}, failures
    assert expected in names(failures), failures
    detail = next(d for _, n, d in failures if n == expected)
    assert detail and len(detail) < 400  # says what, without dumping a huge value


def test_duplicates_in_a_batch_fail_after_the_first_copy():
    first, other = R.container_event(), R.container_event(event_id="other")
    failures = expectation_failures("container_events", [first, other, copy.deepcopy(first), copy.deepcopy(first)])
    assert [(i, n) for i, n, _ in failures] == [(2, "container_events.duplicate_of.unique"),
                                                  (3, "container_events.duplicate_of.unique")]
    decl = R.declaration()
    amended = {**R.declaration(), "version": 2, "message_type": "AMENDMENT"}
    assert expectation_failures("declarations", [decl, amended]) == []  # a new version is no duplicate
    assert [i for i, _, _ in expectation_failures("declarations", [decl, copy.deepcopy(decl)])] == [1]


@pytest.mark.parametrize("garbage", [None, 42, "text", [], {}, {"goods": "x"}, {"goods": [None, 7]},
                                     {"lines": [{"packages": "many"}]}, {"consignor": []}])
@pytest.mark.parametrize("stream", STREAMS)
def test_any_value_gives_failures_not_exceptions(stream, garbage):
    failures = expectation_failures(stream, [garbage])
    assert failures and {i for i, _, _ in failures} == {0}


def test_unknown_stream_is_a_key_error():
    with pytest.raises(KeyError):
        expectation_failures("parcels", [{}])


def test_value_sets_come_from_the_code_lists_and_schemas():
    def value_set(stream, name):
        [e] = [e for e in load_suite(stream)["expectations"] if e["meta"]["name"] == name]
        return set(e["kwargs"]["value_set"])

    assert value_set("container_events", "container_events.event_type_code.equipment_code") == codes.EQUIPMENT_EVENT_TYPE_CODES
    assert value_set("container_events", "container_events.event_type_code.transport_code") == codes.TRANSPORT_EVENT_TYPE_CODES
    assert value_set("container_events", "container_events.mode_of_transport.code") == codes.MODES_OF_TRANSPORT
    assert value_set("container_events", "container_events.event_classifier.code") == codes.EVENT_CLASSIFIERS
    assert value_set("control_results", "control_results.seizure_category.code") == validation.SEIZURE_CATEGORIES
    enum = {f["name"]: f["type"] for f in codec.parsed_schema("ControlResult")["fields"]}
    assert value_set("control_results", "control_results.finding.code") == set(enum["finding"]["symbols"])


def test_committed_suites_are_what_the_builder_makes():
    import great_expectations as gx

    from schemas.expectations import build, suite_path

    gx.get_context(mode="ephemeral")
    for stream, make in build.BUILDERS.items():
        assert suite_path(stream).read_text() == build.render(make()), f"run python -m schemas.expectations.build ({stream})"
    for stream in STREAMS:  # every expectation is named, described, and unique by name
        suite = load_suite(stream)
        names_ = [e["meta"]["name"] for e in suite["expectations"]]
        assert len(names_) == len(set(names_)) and all(n.startswith(stream + ".") for n in names_)
        assert all(e.get("description") for e in suite["expectations"])


def test_flat_view_has_a_row_per_goods_item_and_manifest_line():
    rows = flat_rows("declarations", [R.declaration(), R.declaration(goods=[])])
    assert [(r["record_index"], r["item_index"], r["hs_code"]) for r in rows] == [
        (0, 0, "940540"), (0, 1, "85044090"), (1, 0, None)]
    assert rows[0]["itinerary"] == "CN SG NL" and rows[0]["containers"] == "APZU4812090 MSKU1234565"
    assert [r["line_index"] for r in flat_rows("manifests", [R.manifest()])] == [0, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(MUTATIONS))) | st.none(), min_size=1, max_size=25), st.data())
def test_only_the_mutated_records_fail(plan, data):
    """A batch of good records of one stream with some mutated: exactly those fail, each with the
    expectation its mutation breaks, whatever the mix."""
    stream = data.draw(st.sampled_from(STREAMS))
    batch, expected = [], {}
    for i, m in enumerate(plan):
        rec = GOOD[stream]()
        unique = {"declarations": {"declaration_id": f"D{i}"}, "manifests": {"filed_at_ms": R.T0 + i},
                  "container_events": {"event_id": f"e{i}"}, "control_results": {"controlled_at_ms": R.T0 + i}}[stream]
        rec.update(unique)
        if m is not None and MUTATIONS[m][0] == stream:
            rec = MUTATIONS[m][1](rec)
            expected[i] = MUTATIONS[m][2]
        batch.append(rec)
    by_record = failures_by_record(expectation_failures(stream, batch))
    assert set(by_record) == set(expected)
    for i, name in expected.items():
        assert name in {n for n, _ in by_record[i]}


def test_generated_traffic_meets_the_contracts(tmp_path):
    """The generator's honest traffic and planted scenarios are valid input: no expectation fails."""
    from generator.traffic import generate

    generate(tmp_path, days=1, seed=3, declarations_per_day=300)
    for stream, name in (("declarations", "declarations.avro"), ("manifests", "manifests.avro"),
                         ("container_events", "container_events.avro"), ("control_results", "control_results.avro")):
        records = list(codec.read_avro_file(tmp_path / name))
        assert records, stream
        assert expectation_failures(stream, records) == [], stream


_ODD_VALUES = st.one_of(st.none(), st.just(float("nan")), st.integers(-2**40, 2**40), st.floats(allow_nan=True),
                        st.booleans(), st.text(max_size=12), st.lists(st.text(max_size=3), max_size=2),
                        st.sampled_from(["AIR", "SEA", "MASTER", "HOUSE", "NLRTM", "APZU4812090", "8504"]))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STREAMS), st.data())
def test_the_compiled_suite_is_never_laxer_than_the_expectations(stream, data):
    """The one-function form of a suite (the live job's fast path) says a row passes only if every
    expectation passes it, for any values in any columns; good rows take the fast path."""
    from transforms.expectations import _all_pass, compiled_suite

    rows = flat_rows(stream, [GOOD[stream]()])
    assert _all_pass(stream, rows)
    row = dict(data.draw(st.sampled_from(rows)))
    for column in data.draw(st.lists(st.sampled_from(sorted(row)), min_size=1, max_size=4)):
        row[column] = data.draw(_ODD_VALUES)
    if _all_pass(stream, [row]):
        assert all(e.passes(row) for e in compiled_suite(stream))
