# Two commands a new user needs: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit system-deps schemas bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m demo

# PostgreSQL (a real server for the trainer tests) and Prometheus (promtool checks the alert
# rules) come from Debian packages; they are installed when missing and apt-get is usable.
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
	   || ! command -v promtool >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      postgresql prometheus >/dev/null; \
	  else \
	    echo "system-deps: install PostgreSQL and Prometheus (promtool) to run every test"; \
	  fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

test: $(STAMP) system-deps lint typecheck
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest -m "not integration and not slow"

# Full-size quality runs on the appeals data set; each prints a row for docs/results.md.
bench: $(STAMP)
	$(PY) -m trainer.benchmark --label reason
	$(PY) -m trainer.benchmark --label category

schemas: $(STAMP)
	$(PY) -m schemas

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
