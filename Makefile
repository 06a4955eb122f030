# speechdrop developer commands. Every target installs what it needs on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INFRA_VENV := .venv-infra
INPUT ?= samples
OUT ?= out

.PHONY: test lint format demo soak bench clean deps audit

deps: $(VENV)/.installed node_modules/.installed $(INFRA_VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(INFRA_VENV)/.installed: requirements-infra.txt
	$(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: deps lint
	$(PY) -m pytest

demo: $(VENV)/.installed node_modules/.installed
	$(PY) -m devtools.demo --input "$(INPUT)" --out "$(OUT)"

soak: $(VENV)/.installed node_modules/.installed
	$(PY) -m bench.soak

bench: $(VENV)/.installed node_modules/.installed
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(INFRA_VENV) node_modules .pytest_cache .ruff_cache .hypothesis .coverage out

# Known vulnerabilities in the pinned dependencies (needs network to PyPI's advisory data).
# --strict: a package that could not be looked up fails the audit instead of being skipped.
audit: $(VENV)/.installed
	$(VENV)/bin/pip-audit --strict -r requirements.txt -r requirements-dev.txt
