"""Argument types and the parser of the borderflow CLI: a bad argument ends the command with one
line `borderflow COMMAND: reason` on stderr and exit code 2 (the project's rule for every error
a user can make; tests/unit/test_cli_errors.py). Kept free of heavy imports: every `--help`
builds the whole parser."""
from __future__ import annotations

import argparse
import sys


class OneLineParser(argparse.ArgumentParser):
    """argparse, but its errors are one line, like the commands' own: `PROG: reason`, exit 2."""

    def error(self, message: str):
        reason = " ".join(message.split())
        if "the following arguments are required" in reason or "invalid choice" in reason:
            reason += f" (see {self.prog} --help)"
        self.exit(2, f"{self.prog}: {reason}\n")


def _number(text: str, kind, what: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _number(text, int, "a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = _number(text, int, "a whole number >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a number > 0")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text, float, "a number >= 0")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def share(text: str) -> float:
    value = _number(text, float, "a share between 0 and 1")
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text}")
    return value


def day(text: str) -> str:
    """A day, YYYY-MM-DD (kept as text: the commands parse it)."""
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day YYYY-MM-DD, got {text!r}") from None
    return text


def scenario_rate(text: str) -> tuple[str, float]:
    """SCENARIO=SHARE, a planted scenario of generator/scenarios.py and its share of filings."""
    from generator.scenarios import SCENARIOS

    code, sep, rate = text.partition("=")
    code = code.strip().upper()
    if not sep:
        raise argparse.ArgumentTypeError(f"expected SCENARIO=SHARE, got {text!r}")
    if code not in SCENARIOS:
        raise argparse.ArgumentTypeError(f"unknown scenario {code!r}; known: {', '.join(SCENARIOS)}")
    try:
        return code, share(rate)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{code}: {exc}") from None


def rates(pairs) -> dict[str, float]:
    """The --rate options (scenario_rate pairs) as {scenario: share}."""
    return dict(pairs or ())


def failed(command: str, exc: BaseException) -> int:
    """How a command ends on an error it expects (a broker refusing the client, bad settings or
    input): one line `borderflow COMMAND: reason` on stderr and exit code 2."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    print(f"borderflow {command}: {reason}", file=sys.stderr)
    return 2
