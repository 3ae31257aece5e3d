# customgrad: two commands for a new user, `make html` and `make test`; the rest is for maintainers.
# Every target first makes .venv (torch==2.13.0 before anything else, so no CUDA build is pulled in).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.ready

.PHONY: venv test html serve bench clean

venv: $(READY)

# Re-run the install whenever the pins change.
$(READY): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -e .
	touch $@

# Every test and every doctest in the library.
test: $(READY)
	$(PY) -m pytest

html: $(READY)
	@echo "The site is not built yet: it lands with the site issue."

serve:
	@echo "Nothing to serve yet."

# The full benchmark sweep (1e3..1e7 elements, float32; CUDA when available, else CPU, one thread):
# _build/bench/bench.txt and bench.json, with PASS/MISS per target.  A few minutes on 2 cores.
bench: $(READY)
	$(PY) -m customgrad.bench --out _build/bench

clean:
	rm -rf _build jupyter_execute docs/auto_gallery docs/api/generated .pytest_cache
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
