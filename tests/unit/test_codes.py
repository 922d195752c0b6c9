"""transforms.codes: ISO 6346, UN/LOCODE, country, currency, HS code shapes, DCSA code lists."""
import pytest
from hypothesis import given, settings, strategies as st

from transforms import codes
from transforms.codes import (
    container_number_problem,
    is_country_code,
    is_currency,
    is_hs_code,
    is_unlocode,
    is_valid_container_number,
    iso6346_check_digit,
    iso6346_remainder,
    make_container_number,
)

owners = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
serials = st.integers(min_value=0, max_value=999_999)
categories = st.sampled_from(["U", "J", "Z"])


# --- ISO 6346 -----------------------------------------------------------------------------------

def test_letter_values_skip_multiples_of_eleven():
    values = [codes.iso6346_letter_value(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    assert values[:3] == [10, 12, 13]
    assert codes.iso6346_letter_value("K") == 21 and codes.iso6346_letter_value("L") == 23
    assert codes.iso6346_letter_value("U") == 32 and codes.iso6346_letter_value("V") == 34
    assert values[-1] == 38
    assert not any(v % 11 == 0 for v in values)


@pytest.mark.parametrize(
    "number",
    [
        "CSQU3054383",  # the ISO 6346 worked example
        "APZU4812090",  # DCSA T&T 2.2 equipmentReference example
        "MSKU1234565",
        "TGHU9999999"[:10] + str(iso6346_check_digit("TGHU999999")),
    ],
)
def test_known_valid_numbers(number):
    assert is_valid_container_number(number)
    assert container_number_problem(number) is None


def test_check_digit_of_worked_example():
    assert iso6346_check_digit("CSQU305438") == 3
    assert iso6346_check_digit("CSQU3054383") == 3  # extra characters are ignored


def test_remainder_ten_is_written_zero():
    # find a serial whose remainder is 10: its check digit must be 0
    serial = next(s for s in range(1000) if iso6346_remainder(f"ABCU{s:06d}") == 10)
    number = make_container_number("ABC", serial)
    assert number.endswith("0") and is_valid_container_number(number)


@pytest.mark.parametrize(
    "number, message",
    [
        ("MSKU1234560", "check digit is 0, expected 5"),
        ("CSQU3054387", "check digit is 7, expected 3"),
        ("MSKU123456", "must be 4 letters and 7 digits"),
        ("MSKU12345655", "must be 4 letters and 7 digits"),
        ("MSK1234565", "must be 4 letters and 7 digits"),
        ("mskU1234565", "must be 4 letters and 7 digits"),
        ("MSKU 123456", "must be 4 letters and 7 digits"),
        ("MSKU12345６5", "must be 4 letters and 7 digits"),  # full-width digit
        ("", "must be 4 letters and 7 digits"),
        ("MSKX1234565", "category letter is 'X', expected U, J or Z"),
        (None, "must be a string, got NoneType"),
        (12345678901, "must be a string, got int"),
    ],
)
def test_invalid_numbers(number, message):
    problem = container_number_problem(number)
    assert problem is not None and problem.startswith(message)
    assert not is_valid_container_number(number)


def test_check_digit_rejects_bad_prefix():
    for bad in ["ABC", "abcU123456", "ABCX123456", 42]:
        with pytest.raises(ValueError):
            iso6346_check_digit(bad)


@pytest.mark.parametrize(
    "args",
    [("AB", 1), ("ABCD", 1), ("abc", 1), ("ABC", -1), ("ABC", 1_000_000), ("ABC", True), ("ABC", "12"),
     ("ABC", 1.0)],
)
def test_make_container_number_rejects_bad_input(args):
    with pytest.raises(ValueError):
        make_container_number(*args)


def test_make_container_number_rejects_bad_category():
    with pytest.raises(ValueError):
        make_container_number("ABC", 1, category="X")


def test_make_container_number_example():
    assert make_container_number("CSQ", 305438) == "CSQU3054383"
    assert make_container_number("ABC", 7, "Z").startswith("ABCZ000007")


@settings(max_examples=300, deadline=None)
@given(owners, serials, categories)
def test_made_numbers_are_always_valid(owner, serial, category):
    number = make_container_number(owner, serial, category)
    assert len(number) == 11
    assert number[:4] == owner + category and int(number[4:10]) == serial
    assert is_valid_container_number(number)


@settings(max_examples=300, deadline=None)
@given(owners, serials, st.integers(min_value=4, max_value=10), st.integers(min_value=1, max_value=9))
def test_single_digit_changes_are_detected(owner, serial, position, shift):
    number = make_container_number(owner, serial)
    new_digit = str((int(number[position]) + shift) % 10)
    changed = number[:position] + new_digit + number[position + 1:]
    if position == 10:
        assert not is_valid_container_number(changed)
        return
    before, after = iso6346_remainder(number), iso6346_remainder(changed)
    assert before != after  # 2**i mod 11 != 0 and |digit change| < 11
    if {before, after} == {0, 10}:
        # the one documented blind spot: remainders 0 and 10 are both written 0
        assert is_valid_container_number(changed)
    else:
        assert not is_valid_container_number(changed)
        assert container_number_problem(changed).startswith("check digit is")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=14), st.binary(max_size=12), st.integers(), st.none(), st.floats()))
def test_predicates_never_raise(value):
    for predicate in (is_valid_container_number, is_unlocode, is_country_code, is_hs_code, is_currency):
        assert predicate(value) in (True, False)
    problem = container_number_problem(value)
    assert problem is None or isinstance(problem, str)


# --- other code shapes -----------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["NLRTM", "DEHAM", "CNSHA", "USNYC", "GBFXT", "AEJEA", "FRPAR", "US2AB", "DE9ZZ"])
def test_unlocode_valid(code):
    assert is_unlocode(code)


@pytest.mark.parametrize(
    "code", ["DE-HAM", "deham", "DEHA", "DEHAMB", "D1HAM", "DEHA1", "DEHA0", "DE HA", "NLRTM\n", "ＮＬRTM", None, 12345]
)
def test_unlocode_invalid(code):
    assert not is_unlocode(code)


@pytest.mark.parametrize("code, ok", [("DE", True), ("CN", True), ("de", False), ("DEU", False), ("D", False),
                                      ("D1", False), ("", False), ("DE\n", False), (None, False)])
def test_country_code(code, ok):
    assert is_country_code(code) is ok


@pytest.mark.parametrize(
    "code, ok",
    [("310230", True), ("31023000", True), ("3102300010", True), ("3102", False), ("3102300", False),
     ("310230001", False), ("31023000101", False), ("3102.30", False), ("31023a", False), ("", False),
     ("３１０２３０", False), ("310230\n", False), (310230, False)],
)
def test_hs_code(code, ok):
    assert is_hs_code(code) is ok


@pytest.mark.parametrize("code, ok", [("EUR", True), ("USD", True), ("eur", False), ("EU", False),
                                      ("EURO", False), ("E1R", False), (None, False)])
def test_currency(code, ok):
    assert is_currency(code) is ok


def test_dcsa_code_lists():
    assert codes.EQUIPMENT_EVENT_TYPE_CODES == {
        "LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD"}
    assert codes.TRANSPORT_EVENT_TYPE_CODES == {"ARRI", "DEPA"}
    assert codes.EVENT_CLASSIFIERS == {"PLN", "ACT", "REQ", "EST"}
    assert codes.MODES_OF_TRANSPORT == {"VESSEL", "RAIL", "TRUCK", "BARGE"}
    assert not codes.EQUIPMENT_EVENT_TYPE_CODES & codes.TRANSPORT_EVENT_TYPE_CODES
