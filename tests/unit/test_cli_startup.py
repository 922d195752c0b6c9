"""`borderflow --help` and every subcommand's help build the whole parser: it must not import the
engines or the numeric stack (Beam alone took 2-3 s), only the command that runs does."""
import json
import subprocess
import sys

HEAVY = ("apache_beam", "pyflink", "numpy", "pandas", "sklearn", "pyarrow", "great_expectations", "matplotlib",
         "fastavro")


def test_building_the_parser_imports_no_heavy_module():
    code = ("import sys, json; from borderflow.cli import build_parser; build_parser(); "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
