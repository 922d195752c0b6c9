"""Pure code-list and format checks: ISO 6346 container numbers, UN/LOCODE, ISO country and
currency codes, HS codes, and the DCSA Track & Trace 2.2 code lists.

Everything here is a plain function of its argument, allocation-light and safe on the hot path.
Every predicate returns False (never raises) for inputs of the wrong type.

ISO 6346 container number ("MSKU1234565"): 3-letter owner code, 1-letter equipment category
(U freight container, J detachable freight-container equipment, Z trailer or chassis), 6-digit
serial number, 1 check digit. The check digit: each of the first 10 characters gets a value
(digits their value; letters A=10, B=12, C=13 ... skipping the multiples of 11, so Z=38),
multiplied by 2**position (position 0..9); the sum mod 11 is the check digit, and a remainder of
10 is written 0 (the standard advises owners not to use such serials; real ones exist).

Consequence of that last rule: one single-digit change is not detected when it moves the
remainder between 0 and 10 (both are written 0). Every other single-digit change is detected,
because 2**i mod 11 is never 0 and a digit changes by less than 11.
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "EQUIPMENT_CATEGORIES",
    "EQUIPMENT_EVENT_TYPE_CODES",
    "TRANSPORT_EVENT_TYPE_CODES",
    "EVENT_CLASSIFIERS",
    "MODES_OF_TRANSPORT",
    "EMPTY_INDICATOR_CODES",
    "iso6346_letter_value",
    "iso6346_check_digit",
    "iso6346_remainder",
    "is_valid_container_number",
    "container_number_problem",
    "make_container_number",
    "is_unlocode",
    "is_country_code",
    "is_hs_code",
    "is_currency",
    "UNLOCODE_PATTERN",
    "COUNTRY_CODE_PATTERN",
    "CURRENCY_PATTERN",
    "HS_CODE_PATTERN",
    "MANIFEST_HS_CODE_PATTERN",
    "IMO_NUMBER_PATTERN",
    "CONTAINER_NUMBER_PATTERN",
]

# --- DCSA Track & Trace 2.2 code lists -------------------------------------------------------

#: DCSA equipmentEventTypeCode values.
EQUIPMENT_EVENT_TYPE_CODES = frozenset(
    {"LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD"}
)
#: DCSA transportEventTypeCode values.
TRANSPORT_EVENT_TYPE_CODES = frozenset({"ARRI", "DEPA"})
#: DCSA eventClassifierCode values: planned, actual, requested, estimated.
EVENT_CLASSIFIERS = frozenset({"PLN", "ACT", "REQ", "EST"})
#: DCSA modeOfTransport values.
MODES_OF_TRANSPORT = frozenset({"VESSEL", "RAIL", "TRUCK", "BARGE"})
#: DCSA emptyIndicatorCode values.
EMPTY_INDICATOR_CODES = frozenset({"EMPTY", "LADEN"})

# --- ISO 6346 ----------------------------------------------------------------------------------

#: ISO 6346 equipment category identifiers (4th character).
EQUIPMENT_CATEGORIES = frozenset({"U", "J", "Z"})


def _letter_values() -> dict[str, int]:
    values, v = {}, 10
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if v % 11 == 0:
            v += 1
        values[c] = v
        v += 1
    return values


_VALUES: dict[str, int] = _letter_values()  # A=10, B=12, C=13, ..., K=21, L=23, ..., Z=38
_VALUES.update({str(d): d for d in range(10)})
_WEIGHTS = tuple(2**i for i in range(10))
_OWNER_SERIAL_RE = re.compile(r"[A-Z]{3}[UJZ][0-9]{6}")
_SHAPE_RE = re.compile(r"[A-Z]{4}[0-9]{7}")


def iso6346_letter_value(c: str) -> int:
    """Numeric value of one character of a container number (digits: themselves; A=10 ... Z=38)."""
    return _VALUES[c]


def iso6346_remainder(owner_serial: str) -> int:
    """Weighted sum of the first 10 characters mod 11 (0..10), before 10 is written as 0."""
    if not isinstance(owner_serial, str) or not _OWNER_SERIAL_RE.fullmatch(owner_serial[:10]):
        raise ValueError(
            f"{owner_serial!r}: expected 3 owner letters, category U/J/Z and 6 digits"
        )
    return sum(_VALUES[c] * w for c, w in zip(owner_serial[:10], _WEIGHTS)) % 11


def iso6346_check_digit(owner_serial: str) -> int:
    """ISO 6346 check digit of a container number's first 10 characters (more are ignored).

    >>> iso6346_check_digit("CSQU305438")
    3

    Raises ValueError when the first 10 characters are not owner code + category + serial.
    """
    return iso6346_remainder(owner_serial) % 10


def container_number_problem(s: object) -> str | None:
    """None for a valid ISO 6346 container number, else what is wrong in words.

    Strict: 11 characters, upper case, no spaces ("MSKU 123456-5" is not accepted).
    """
    if not isinstance(s, str):
        return f"must be a string, got {type(s).__name__}"
    if len(s) != 11:
        return _SHAPE_PROBLEM
    return _eleven_characters_problem(s)


_SHAPE_PROBLEM = "must be 4 letters and 7 digits (owner code, category, serial, check digit)"


# A container's number comes back with each of its events, and the decoder, the validator and the
# data contract each check it: remembered, a check is a dict lookup (16k numbers of 11 characters).
@lru_cache(maxsize=16_384)
def _eleven_characters_problem(s: str) -> str | None:
    if not _SHAPE_RE.fullmatch(s):
        return _SHAPE_PROBLEM
    if s[3] not in EQUIPMENT_CATEGORIES:
        return f"category letter is {s[3]!r}, expected U, J or Z"
    expected = iso6346_check_digit(s)
    if int(s[10]) != expected:
        return f"check digit is {s[10]}, expected {expected}"
    return None


def is_valid_container_number(s: object) -> bool:
    """True for a well-formed ISO 6346 container number with the right check digit."""
    return container_number_problem(s) is None


def make_container_number(owner: str, serial: int, category: str = "U") -> str:
    """Build a valid container number: owner code (3 letters), category, 6-digit serial, check.

    >>> make_container_number("CSQ", 305438)
    'CSQU3054383'
    """
    if not (isinstance(owner, str) and len(owner) == 3 and re.fullmatch(r"[A-Z]{3}", owner)):
        raise ValueError(f"owner code must be 3 upper-case letters, got {owner!r}")
    if category not in EQUIPMENT_CATEGORIES:
        raise ValueError(f"category must be U, J or Z, got {category!r}")
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= 999_999:
        raise ValueError(f"serial must be an int in 0..999999, got {serial!r}")
    body = f"{owner}{category}{serial:06d}"
    return body + str(iso6346_check_digit(body))


# --- Other code shapes -------------------------------------------------------------------------

# Patterns (whole-string) of the code shapes; the data contracts in schemas/expectations use them too.
UNLOCODE_PATTERN = r"[A-Z]{2}[A-Z2-9]{3}"
COUNTRY_CODE_PATTERN = r"[A-Z]{2}"
CURRENCY_PATTERN = r"[A-Z]{3}"
HS_CODE_PATTERN = r"[0-9]{6}(?:[0-9]{2}){0,2}"
#: What carriers put on manifest lines: the heading (4 digits) or more, up to 10.
MANIFEST_HS_CODE_PATTERN = r"[0-9]{4}(?:[0-9]{2}){0,3}"
#: IMO ship number: 7 digits (its check digit is not verified).
IMO_NUMBER_PATTERN = r"[0-9]{7}"
#: ISO 6346 shape without the check digit rule (see container_number_problem for that).
CONTAINER_NUMBER_PATTERN = r"[A-Z]{3}[UJZ][0-9]{7}"

_UNLOCODE_RE = re.compile(UNLOCODE_PATTERN)
_COUNTRY_RE = re.compile(COUNTRY_CODE_PATTERN)
_CURRENCY_RE = re.compile(CURRENCY_PATTERN)
_HS_RE = re.compile(HS_CODE_PATTERN)


def is_unlocode(s: object) -> bool:
    """UN/LOCODE shape: 2-letter country + 3 characters of A-Z and 2-9 ("NLRTM", "DEHAM")."""
    return isinstance(s, str) and len(s) == 5 and _UNLOCODE_RE.fullmatch(s) is not None


def is_country_code(s: object) -> bool:
    """ISO 3166-1 alpha-2 shape: 2 upper-case letters (the code list itself is not checked)."""
    return isinstance(s, str) and len(s) == 2 and _COUNTRY_RE.fullmatch(s) is not None


def is_hs_code(s: object) -> bool:
    """Harmonized System code shape: 6, 8 or 10 digits, no dots."""
    return isinstance(s, str) and len(s) in (6, 8, 10) and _HS_RE.fullmatch(s) is not None


def is_currency(s: object) -> bool:
    """ISO 4217 alphabetic code shape: 3 upper-case letters."""
    return isinstance(s, str) and len(s) == 3 and _CURRENCY_RE.fullmatch(s) is not None
