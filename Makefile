# Two entry points: `make run` (the live job on its embedded default) and `make test`.
PY ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): requirements.lock setup.py
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip==26.3 wheel setuptools
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $(STAMP)

.PHONY: setup run test
setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/borderflow run --out out/run

# -v: each test's name as it starts (an integration test may run for minutes); the slowest at the end
test: $(STAMP)
	$(VENV)/bin/python -m pytest -v --durations=10 tests
