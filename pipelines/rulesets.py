"""Rule sets for replays and backtests: a full rule-set file, or an overlay on one.

A full file is what the live job loads (transforms.rules.load_ruleset: a path, or a name in
transforms/rulesets/). An overlay states only what a candidate changes:

    extends: default                 # the base: a name or a path, as load_ruleset takes it
    version: "{base}+uv60"           # required; "{base}" is replaced by the base's version
    inductive:
      undervaluation:
        ratio_below: 0.6

Mappings merge key by key (recursively); anything else (numbers, strings, lists) replaces the
base's value. The result is validated by transforms.rules.ruleset_from_dict like any rule set, so
a bad overlay names the offending key. An overlay keeps a candidate small and current when the
base moves on; to deploy it, write out the merged file (`merged_dict`).
"""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from transforms.rules import RuleSet, RuleSetError, load_ruleset, resolve_ruleset_path, ruleset_from_dict


def _merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over


def merged_dict(path) -> dict:
    """The full rule-set dict an overlay file stands for (a full file: its own dict)."""
    path = Path(path)
    try:
        over = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleSetError(f"<file>: {path} is not valid YAML: {exc}") from None
    if not isinstance(over, dict) or "extends" not in over:
        return over
    over = dict(over)
    base_ref = over.pop("extends")
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise RuleSetError("extends: expected the name or path of a rule set")
    rel = path.parent / base_ref
    base_rs = load_ruleset(rel if ("/" in base_ref or base_ref.endswith((".yaml", ".yml"))) and rel.exists()
                           else base_ref)
    base = merged_dict(base_rs.source)
    version = over.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RuleSetError("version: an overlay must set its own version (e.g. \"{base}+my-change\")")
    over["version"] = version.replace("{base}", base_rs.version)
    if over["version"].strip() == base_rs.version:
        raise RuleSetError(f"version: the overlay must differ from its base's version {base_rs.version}")
    return _merge(base, over)


def load(ref) -> RuleSet:
    """A RuleSet from a RuleSet (as is), None (the default), a name, a full file or an overlay."""
    if isinstance(ref, RuleSet):
        return ref
    if ref is None:
        return load_ruleset()
    path = resolve_ruleset_path(ref)
    if path.exists():
        with open(path, encoding="utf-8") as f:
            is_overlay = any(line.startswith("extends:") for line in f)
        if is_overlay:
            return ruleset_from_dict(merged_dict(path), source=os.fspath(path))
    return load_ruleset(ref)
