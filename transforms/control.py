"""Rule sets and models that change while the job runs, and which one decides an event.

Operations publish a new version as a ControlUpdate (schemas/avro/control_update.avsc) on the
rule-sets or models topic; the job broadcasts it to every operator, which keeps every version in
a `ControlPlane`. An event at event time t is handled with the newest version whose
`effective_from_ms <= t` (an assessment: at its decision deadline). Choosing by event time, not
by arrival, means a replay of the same traffic with the same control history decides the same
way, and a version can be scheduled ahead ("from Monday 00:00 UTC"). A version that reaches the
job after the watermark has passed its effective time applies from then on: decisions already
made stay made (assessments are never re-issued).

Versions are immutable: the same version published again with the same body and effective time
is a no-op; with a different body or time it is rejected (ControlError), so every assessment's
`ruleset_version` means one thing, on every operator and after every restart. `validate_update` does every check a bad update can fail (decoding, YAML, rule-set
validation, model loading) once, before the broadcast, so bad updates become one dead letter
each and operators only ever receive good ones.
"""
from __future__ import annotations

import bisect
import copy
import time
from typing import Any, Callable

import yaml

from schemas import codec
from transforms.rules import RuleSet, RuleSetError, ruleset_from_dict
from transforms.state_machine import Context

RULESET = "RULESET"
MODEL = "MODEL"
SCHEMA = "ControlUpdate"
# Control topics (Kafka) and the stream names the job tags their messages with.
TOPIC_OF_KIND = {RULESET: "rule-sets", MODEL: "models"}
STREAM_OF_KIND = {RULESET: "rule_sets", MODEL: "models"}
NEVER = -(2**63)  # effective_from of the versions the job starts with


class ControlError(ValueError):
    """An update that cannot be applied: undecodable, invalid, or re-defining a version."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def ruleset_from_yaml(text: str, source: str = "<update>") -> RuleSet:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ControlError(f"rule set {source}: not valid YAML: {exc}") from None
    try:
        return ruleset_from_dict(data, source=source)
    except RuleSetError as exc:
        raise ControlError(f"rule set {source}: {exc}") from None


def ruleset_update(ruleset: dict | str, effective_from_ms: int, published_at_ms: int | None = None) -> dict:
    """A ControlUpdate publishing a full rule set (a dict, or its YAML text), validated here so a
    bad rule set never leaves. Overlays (pipelines/rulesets.py) are merged by the caller."""
    text = ruleset if isinstance(ruleset, str) else yaml.safe_dump(ruleset, sort_keys=False, allow_unicode=True)
    rs = ruleset_from_yaml(text)
    return {"kind": RULESET, "version": rs.version, "effective_from_ms": int(effective_from_ms), "body": text,
            "published_at_ms": _now_ms() if published_at_ms is None else int(published_at_ms)}


def model_update(uri: str, version: str, effective_from_ms: int,
                 published_at_ms: int | None = None) -> dict:
    """A ControlUpdate publishing a model from the registry (see transforms.model)."""
    return {"kind": MODEL, "version": version, "effective_from_ms": int(effective_from_ms), "body": uri,
            "published_at_ms": _now_ms() if published_at_ms is None else int(published_at_ms)}


def load_model(uri: str) -> Any:
    """A model from the registry (transforms.model), which refuses a mismatched artifact."""
    try:
        from transforms import model as registry  # imported late: scikit-learn only where models are used

        return registry.load_model(uri)
    except Exception as exc:  # the registry's own errors name the mismatch
        raise ControlError(f"model at {uri}: {type(exc).__name__}: {exc}") from None


def load_model_update(update: dict) -> Any:
    """The model an update names, loaded and checked against the version it claims."""
    model = load_model(update["body"])
    if getattr(model, "version", None) != update["version"]:
        raise ControlError(f"model {update['version']}: the artifact at {update['body']} is version "
                           f"{getattr(model, 'version', None)!r}")
    return model


def encode_update(update: dict) -> bytes:
    """The wire form of an update: Avro single-object encoding, like every other stream."""
    return codec.encode(SCHEMA, update)


def decode_update(payload: bytes) -> dict:
    try:
        return codec.decode(SCHEMA, payload)
    except codec.DecodeError as exc:
        raise ControlError(f"control update: {exc}") from None


def validate_update(update: dict) -> Any:
    """Everything an update can fail on; returns the compiled rule set or the loaded model."""
    if update["kind"] == RULESET:
        rs = ruleset_from_yaml(update["body"], source=f"version {update['version']}")
        if rs.version != update["version"]:
            raise ControlError(f"rule set update says version {update['version']!r} but its YAML declares "
                               f"{rs.version!r}")
        return rs
    return load_model_update(update)


def _effective_from(order: tuple) -> int:
    return order[0]


class ControlPlane:
    """Every rule-set and model version an operator knows, and the Context for an event time."""

    def __init__(self, base_ruleset: RuleSet, reference: Any, base_model: Any = None,
                 now_ms: Callable[[], int] = _now_ms):
        self._reference = reference
        self._now_ms = now_ms
        # Per kind: parallel lists sorted by (effective_from_ms, published_at_ms, version) and the
        # versions' values; and the bodies seen.
        self._orders = {RULESET: [(NEVER, NEVER, "")], MODEL: [(NEVER, NEVER, "")]}
        self._values = {RULESET: [base_ruleset], MODEL: [base_model]}
        self._bodies: dict[tuple[str, str], tuple[str, int]] = {}
        self._contexts: dict[tuple[int, int], Context] = {}

    def versions(self, kind: str) -> list[tuple[int, str | None]]:
        return [(order[0], getattr(v, "version", None)) for order, v in zip(self._orders[kind], self._values[kind])]

    def apply(self, update: dict, compiled: Any = None) -> bool:
        """Add a version; False when it is already known (re-delivery after a restart)."""
        kind, version = update["kind"], update["version"]
        seen = self._bodies.get((kind, version))
        if seen is not None:
            if seen != (update["body"], update["effective_from_ms"]):
                raise ControlError(f"{kind.lower()} version {version} was already published with a different "
                                   f"body or effective time; versions are immutable, publish a new version")
            return False
        value = compiled if compiled is not None else validate_update(update)
        # Order by (effective time, publication time, version), never by arrival: operators
        # rebuilt from broadcast state after a restore see the versions in another order.
        order = (update["effective_from_ms"], update["published_at_ms"], version)
        orders, values = self._orders[kind], self._values[kind]
        i = bisect.bisect_right(orders, order)
        orders.insert(i, order)
        values.insert(i, value)
        self._bodies[(kind, version)] = (update["body"], update["effective_from_ms"])
        self._contexts.clear()
        return True

    def _at(self, kind: str, event_time_ms: int):
        orders = self._orders[kind]
        if len(orders) == 1:
            return self._values[kind][0]
        return self._values[kind][bisect.bisect_right(orders, event_time_ms, key=_effective_from) - 1]

    def context_at(self, event_time_ms: int) -> Context:
        rs, model = self._at(RULESET, event_time_ms), self._at(MODEL, event_time_ms)
        key = (id(rs), id(model))
        ctx = self._contexts.get(key)
        if ctx is None:
            if hasattr(model, "bind"):
                # A model's features read the rule set: each version pair gets its own copy.
                model = copy.copy(model).bind(ruleset=rs, reference=self._reference)
            ctx = self._contexts[key] = Context(ruleset=rs, reference=self._reference, model=model,
                                                now_ms=self._now_ms)
        return ctx
