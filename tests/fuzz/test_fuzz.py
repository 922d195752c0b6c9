"""Short fuzz runs of the decoders (tests/fuzz/run_fuzz.py runs the long ones): only the declared
errors may come out of schemas.codec.decode, transforms.intake.decode_input and
transforms.dcsa.from_dcsa."""
import pytest

from tests.fuzz import run_fuzz
from tests.fuzz.targets import TARGETS


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_hypothesis_fuzz_finds_nothing(target):
    result = run_fuzz.run_hypothesis(target, runs=150, seed=0)
    assert result["tried"] == 150
    assert result["failures"] == {}


def test_atheris_fuzz_finds_nothing():
    pytest.importorskip("atheris")
    result = run_fuzz.run_atheris("intake", runs=1500)
    assert result["tried"] == 1500, result["failures"]
    assert result["failures"] == {}


def test_the_harness_reports_an_undeclared_exception():
    def leaky(data: bytes):
        if data[:1] == b"x":
            raise KeyError("eventID")

    log = run_fuzz.FailureLog()
    for data in (b"", b"x1", b"y", b"x2"):
        log.run(leaky, data)
    assert log.tried == 4
    [(signature, entry)] = log.failures.items()
    assert signature.startswith("KeyError at test_fuzz.py:") and entry["count"] == 2
    assert entry["input_hex"] == b"x1".hex()
