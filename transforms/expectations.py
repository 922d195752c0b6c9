"""Batch validation of input records against the data contracts (schemas/expectations/*.json).

    failures = expectation_failures("declarations", records)   # [(index, expectation, detail), ...]

The suites are Great Expectations suites, but GE costs about a second per batch however small
(docs/quality.md), so the live job cannot run it on every batch. This module evaluates the same
JSON itself, in plain Python over the records' flat views: the types of expectation the suites
use, with GE's semantics (nulls pass map expectations except the null checks; row conditions
select the rows an expectation applies to). pipelines/quality.py runs the same suites in GE, and
tests/unit/test_expectations.py requires both to fail the same records on the same batches.

Flat views (`flat_rows`): one row per record, except declarations (one row per goods item) and
manifests (one row per line), the record's own fields repeated on each; `record_index` is the
record's position in the batch. Lists of codes are joined with single spaces (itinerary,
containers). `duplicate_of` is the index of an earlier record of the batch with the same key
(DUPLICATE_KEYS), else None: the first copy passes, later copies fail.

Engine-free and GE-free: the standard library, the suites' JSON and transforms/.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Callable, Iterable

from schemas.expectations import STREAMS, load_suite
from transforms import intake
from transforms.codes import container_number_problem

__all__ = ["expectation_failures", "flat_rows", "failures_by_record", "describe_failures", "DUPLICATE_KEYS",
           "EXPECTATION", "compiled_suite"]

#: Dead-letter error kind of a record that fails a data-contract expectation (defined with the others).
EXPECTATION = intake.EXPECTATION

# Fields that identify a record within a batch: a second record with the same key is a duplicate.
DUPLICATE_KEYS = {
    "declarations": ("declaration_id", "version"),
    "manifests": ("manifest_id", "filed_at_ms", "house_document"),  # per line
    "container_events": ("event_id",),
    "control_results": ("declaration_id", "controlled_at_ms"),
}


# --- flat views --------------------------------------------------------------------------------------

def _none(_key: str) -> None:
    return None


def _getter(obj: Any):
    """obj.get for a dict, else a getter that finds nothing (the views are total over any value)."""
    return obj.get if isinstance(obj, dict) else _none


def _joined(values: Any) -> Any:
    """A list of codes as one string, single spaces between; anything else as it is."""
    if isinstance(values, (list, tuple)):
        return " ".join(v if isinstance(v, str) else repr(v) for v in values)
    return values


def _declaration_rows(i: int, r: Any) -> list[dict]:
    get = _getter(r)
    consignor, consignee, notify = _getter(get("consignor")), _getter(get("consignee")), _getter(get("notify_party"))
    goods = get("goods")
    head = {
        "record_index": i,
        "declaration_id": get("declaration_id"), "version": get("version"),
        "message_type": get("message_type"), "filing_level": get("filing_level"),
        "house_document": get("house_document"), "master_document": get("master_document"),
        "declarant_id": get("declarant_id"),
        "consignor_name": consignor("name"), "consignor_country": consignor("country"),
        "consignee_name": consignee("name"), "consignee_country": consignee("country"),
        "notify_name": notify("name"), "notify_country": notify("country"),
        "transport_mode": get("transport_mode"), "conveyance_ref": get("conveyance_ref"),
        "place_of_loading": get("place_of_loading"), "place_of_unloading": get("place_of_unloading"),
        "itinerary": _joined(get("itinerary")), "containers": _joined(get("containers") or []),
        "filed_at_ms": get("filed_at_ms"),
        "goods_count": len(goods) if isinstance(goods, list) else None,
    }
    items = goods if isinstance(goods, list) and goods else [None]
    rows = []
    for n, g in enumerate(items):
        item = _getter(g)
        rows.append({**head, "item_index": n, "hs_code": item("hs_code"), "description": item("description"),
                     "packages": item("packages"), "gross_mass_kg": item("gross_mass_kg"), "value": item("value"),
                     "currency": item("currency"), "origin_country": item("origin_country")})
    return rows


def _manifest_rows(i: int, r: Any) -> list[dict]:
    get = _getter(r)
    lines = get("lines")
    head = {
        "record_index": i,
        "manifest_id": get("manifest_id"), "carrier_id": get("carrier_id"),
        "transport_mode": get("transport_mode"), "conveyance_ref": get("conveyance_ref"),
        "voyage": get("voyage"), "port_of_loading": get("port_of_loading"),
        "port_of_discharge": get("port_of_discharge"), "filed_at_ms": get("filed_at_ms"),
        "lines_count": len(lines) if isinstance(lines, list) else None,
    }
    items = lines if isinstance(lines, list) and lines else [None]
    rows = []
    for n, ln in enumerate(items):
        line = _getter(ln)
        rows.append({**head, "line_index": n, "master_document": line("master_document"),
                     "house_document": line("house_document"), "consignee_name": line("consignee_name"),
                     "description": line("description"), "hs_code": line("hs_code"), "container": line("container"),
                     "packages": line("packages"), "gross_mass_kg": line("gross_mass_kg")})
    return rows


_EVENT_FIELDS = ("event_id", "event_type", "event_type_code", "event_classifier", "equipment_reference",
                 "event_time_ms", "event_created_ms", "location", "transport_call_id", "mode_of_transport",
                 "vessel_imo", "empty_indicator")
_CONTROL_FIELDS = ("declaration_id", "control_type", "finding", "seizure_category", "recovered_amount_eur",
                   "controlled_at_ms")


def _plain_rows(fields):
    def rows(i: int, r: Any) -> list[dict]:
        get = _getter(r)
        row = {"record_index": i}
        for f in fields:
            row[f] = get(f)
        return [row]
    return rows


_ROWS = {"declarations": _declaration_rows, "manifests": _manifest_rows,
         "container_events": _plain_rows(_EVENT_FIELDS), "control_results": _plain_rows(_CONTROL_FIELDS)}


def _hashable(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def flat_rows(stream: str, records: Iterable[Any]) -> list[dict]:
    """The flat view of a batch (module docstring); total over any input values."""
    try:
        to_rows = _ROWS[stream]
    except KeyError:
        raise KeyError(f"unknown stream {stream!r}; known: {', '.join(STREAMS)}") from None
    key = DUPLICATE_KEYS[stream]
    # declarations: the key is the record's, so its goods items never duplicate each other;
    # manifests: the key is the line's, so a house document listed twice on one manifest is caught
    per_row = stream == "manifests"
    seen: dict[tuple, int] = {}
    out = []
    for i, record in enumerate(records):
        for row in to_rows(i, record):
            k = tuple(_hashable(row.get(f)) for f in key)
            if k in seen and (per_row or seen[k] != i):
                row["duplicate_of"] = seen[k]
            else:
                row["duplicate_of"] = None
                seen.setdefault(k, i)
            out.append(row)
    return out


# --- the evaluator -------------------------------------------------------------------------------------

RowCheck = Callable[[dict], bool]  # True: the row passes
_CONDITION_RE = re.compile(r'\s*(\w+)\s*(==|!=|in)\s*(.+?)\s*')
_LITERAL_RE = re.compile(r'"([^"\\]*)"')


def _parse_condition(text: str) -> RowCheck:
    """The row conditions the suites use, pandas syntax: col == "v", col != "v", col in ["a", "b"]."""
    m = _CONDITION_RE.fullmatch(text)
    if m is None:
        raise ValueError(f"unsupported row condition {text!r}")
    column, op, rhs = m.groups()
    if op == "in":
        if not (rhs.startswith("[") and rhs.endswith("]")):
            raise ValueError(f"unsupported row condition {text!r}")
        values = frozenset(_LITERAL_RE.findall(rhs))
        return lambda row: row.get(column) in values
    lit = _LITERAL_RE.fullmatch(rhs)
    if lit is None:
        raise ValueError(f"unsupported row condition {text!r}")
    value = lit.group(1)
    if op == "==":
        return lambda row: row.get(column) == value
    return lambda row: row.get(column) != value


def _is_null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _between(kw: dict) -> Callable[[Any], bool]:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    smin, smax = kw.get("strict_min", False), kw.get("strict_max", False)

    def ok(v):
        if not _number(v) or math.isnan(v):
            return False
        if lo is not None and (v <= lo if smin else v < lo):
            return False
        if hi is not None and (v >= hi if smax else v > hi):
            return False
        return True
    return ok


def _lengths(kw: dict) -> Callable[[Any], bool]:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    return lambda v: isinstance(v, str) and (lo is None or len(v) >= lo) and (hi is None or len(v) <= hi)


def containers_valid(cell: Any) -> bool:
    """True when every space-separated container number in `cell` is valid ISO 6346 (empty: none)."""
    if not isinstance(cell, str) or cell != cell.strip() or "  " in cell:
        return False
    return all(container_number_problem(c) is None for c in cell.split(" ") if c)


def _map_check(kind: str, kw: dict) -> tuple[Callable[[Any], bool], bool]:
    """(value predicate, whether nulls are checked too) for a column map expectation."""
    if kind == "expect_column_values_to_not_be_null":
        return (lambda v: not _is_null(v)), True
    if kind == "expect_column_values_to_be_null":
        return _is_null, True
    if kind == "expect_column_values_to_be_in_set":
        values = frozenset(kw["value_set"])
        return (lambda v: v in values), False  # unhashable: TypeError, a failure
    if kind == "expect_column_values_to_match_regex":
        rx = re.compile(kw["regex"])
        return (lambda v: rx.search(v if isinstance(v, str) else str(v)) is not None), False
    if kind == "expect_column_values_to_not_match_regex":
        rx = re.compile(kw["regex"])
        return (lambda v: rx.search(v if isinstance(v, str) else str(v)) is None), False
    if kind == "expect_column_values_to_be_between":
        return _between(kw), False
    if kind == "expect_column_value_lengths_to_be_between":
        return _lengths(kw), False
    if kind == "expect_column_values_to_be_iso6346_container_numbers":
        return containers_valid, False
    raise ValueError(f"expectation type {kind} is not supported by the batch evaluator")


def _show(v: Any, limit: int = 60) -> str:
    r = repr(v)
    return r if len(r) <= limit else r[: limit - 3] + "..."


class _Compiled:
    """One expectation: `passes(row)` says whether a row of a flat view passes it."""
    __slots__ = ("name", "passes", "describe")

    def __init__(self, name, passes, describe):
        self.name, self.passes, self.describe = name, passes, describe


def _map_passes(column: str, predicate, nulls_checked: bool, condition):
    def passes(row):
        if condition is not None and not condition(row):
            return True
        v = row.get(column)
        try:
            if not nulls_checked and (v is None or v != v):  # nulls (None, NaN) pass, as in GE
                return True
            return bool(predicate(v))
        except Exception:  # a value of an unexpected type fails the expectation, never the caller
            return False
    return passes


def _pair_passes(a: str, b: str, compare, condition):
    def passes(row):
        if condition is not None and not condition(row):
            return True
        x, y = row.get(a), row.get(b)
        if _is_null(x) or _is_null(y):  # GE ignores a row where either is null
            return True
        try:
            return bool(compare(x, y))
        except TypeError:
            return False
    return passes


def _compile(expectation: dict) -> _Compiled:
    kind, kw = expectation["type"], dict(expectation["kwargs"])
    name = expectation.get("meta", {}).get("name") or kind
    cond = kw.pop("row_condition", None)
    if isinstance(cond, dict):  # GE 1.x serialises a pandas condition as a pass-through filter
        cond = cond.get("pass_through_filter")
    condition = _parse_condition(cond) if cond else None
    rule = expectation.get("description") or kind
    if kind in ("expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal"):
        a, b = kw["column_A"], kw["column_B"]
        if kind.endswith("greater_than_b"):
            compare = (lambda x, y: x >= y) if kw.get("or_equal", False) else (lambda x, y: x > y)
        else:
            compare = lambda x, y: x == y  # noqa: E731
        return _Compiled(name, _pair_passes(a, b, compare, condition),
                         lambda row: f"{rule}: {a}={_show(row.get(a))}, {b}={_show(row.get(b))}")
    column = kw["column"]
    predicate, nulls_checked = _map_check(kind, kw)
    return _Compiled(name, _map_passes(column, predicate, nulls_checked, condition),
                     lambda row: f"{rule}: {column}={_show(row.get(column))}")


@lru_cache(maxsize=None)
def compiled_suite(stream: str) -> tuple[_Compiled, ...]:
    """The stream's suite compiled once per process."""
    return tuple(_compile(e) for e in load_suite(stream)["expectations"])


def _where(row: dict, stream: str) -> str:
    if stream == "declarations" and row.get("goods_count"):
        return f"goods[{row['item_index']}] "
    if stream == "manifests" and row.get("lines_count"):
        return f"lines[{row['line_index']}] "
    return ""


# --- the whole suite as one function ---------------------------------------------------------------
# The live job checks every record, and nearly all pass: `_fast_suite` compiles a suite into one
# generated function over a row, each expectation an inline test, no call per expectation. It only
# answers "does every row pass?"; a False (or any exception) sends the batch to the exact
# per-expectation evaluation above, so a fast test may be stricter than GE's but never laxer
# (tests/unit/test_expectations.py holds the two to the same answers).

def _const(consts: dict, value) -> str:
    """The name under which the generated function reads `value`."""
    name = f"k{len(consts)}"
    consts[name] = value
    return name


def _fast_value_test(kind: str, kw: dict, consts: dict) -> str | None:
    """A Python expression in `v` (never null here) that is True only if the value passes; None
    for a kind the generator leaves to the exact evaluator."""
    def const(value) -> str:
        return _const(consts, value)

    if kind == "expect_column_values_to_be_in_set":
        return f"v in {const(frozenset(kw['value_set']))}"
    if kind == "expect_column_values_to_match_regex":
        return f"v.__class__ is str and {const(re.compile(kw['regex']).search)}(v) is not None"
    if kind == "expect_column_values_to_not_match_regex":
        return f"v.__class__ is str and {const(re.compile(kw['regex']).search)}(v) is None"
    if kind == "expect_column_value_lengths_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        return "v.__class__ is str" + (f" and len(v) >= {lo!r}" if lo is not None else "") + \
               (f" and len(v) <= {hi!r}" if hi is not None else "")
    if kind == "expect_column_values_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        test = "(v.__class__ is int or v.__class__ is float)"
        if lo is not None:
            test += f" and v {'>' if kw.get('strict_min', False) else '>='} {const(lo)}"
        if hi is not None:
            test += f" and v {'<' if kw.get('strict_max', False) else '<='} {const(hi)}"
        return test
    if kind == "expect_column_values_to_be_iso6346_container_numbers":
        return f"{const(containers_valid)}(v)"
    return None


@lru_cache(maxsize=None)
def _fast_suite(stream: str):
    """The stream's suite as one function row -> bool (True: the row passes every expectation),
    built once per process."""
    consts: dict = {}
    lines = ["def all_pass(row):", "    g = row.get"]
    for e, expectation in zip(compiled_suite(stream), load_suite(stream)["expectations"]):
        kind, kw = expectation["type"], dict(expectation["kwargs"])
        column = kw.get("column")
        test = None
        if kw.pop("row_condition", None) is not None or column is None:
            pass  # conditions and column pairs: the exact test, as a call
        elif kind == "expect_column_values_to_not_be_null":
            test = f"    v = g({column!r})\n    if v is None or v != v: return False"
        elif kind == "expect_column_values_to_be_null":
            test = f"    v = g({column!r})\n    if v is not None and v == v: return False"
        else:
            value_test = _fast_value_test(kind, kw, consts)
            if value_test is not None:
                test = f"    v = g({column!r})\n    if v is not None and v == v and not ({value_test}): return False"
        lines.append(test or f"    if not {_const(consts, e.passes)}(row): return False")
    lines.append("    return True")
    namespace = dict(consts)
    exec("\n".join(lines), namespace)  # noqa: S102 - source built above from the suite's own kinds
    return namespace["all_pass"]


def _all_pass(stream: str, rows) -> bool:
    all_pass = _fast_suite(stream)
    try:
        for row in rows:
            if not all_pass(row):
                return False
    except Exception:  # a value of an unexpected type: the exact evaluation decides
        return False
    return True


def expectation_failures(stream: str, records: list[dict]) -> list[tuple[int, str, str]]:
    """Every failed expectation of the stream's suite on a batch of records:
    [(record index, expectation name, detail)], in record order, each (record, expectation) once.
    The records are decoded input records (dicts in the stream's Avro schema); anything else
    fails expectations rather than raising. KeyError for an unknown stream."""
    suite = compiled_suite(stream) if stream in STREAMS else None
    if suite is None:
        raise KeyError(f"unknown stream {stream!r}; known: {', '.join(STREAMS)}")
    rows = flat_rows(stream, records)
    if _all_pass(stream, rows):  # the common case, without building the failure list
        return []
    out = []
    for e in suite:
        seen = set()
        for row in rows:
            i = row["record_index"]
            if i not in seen and not e.passes(row):  # a record fails an expectation once, on its first failing row
                seen.add(i)
                out.append((i, e.name, _where(row, stream) + e.describe(row)))
    out.sort(key=lambda f: f[0])  # stable: per record, in suite order
    return out


def failures_by_record(failures: Iterable[tuple[int, str, str]]) -> dict[int, list[tuple[str, str]]]:
    """{record index: [(expectation, detail), ...]} from expectation_failures' list."""
    out: dict[int, list[tuple[str, str]]] = {}
    for i, name, detail in failures:
        out.setdefault(i, []).append((name, detail))
    return out


def describe_failures(failed: list[tuple[str, str]], limit: int = 500) -> str:
    """One dead-letter reason for a record's failures: "expectation: detail; ..." cut to `limit`."""
    text = "; ".join(f"{name}: {detail}" for name, detail in failed)
    return text if len(text) <= limit else text[: limit - 3] + "..."
