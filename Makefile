# make demo — set everything up, then run the end-to-end demo on the embedded defaults
# make test — set everything up, then run lint and the whole test suite; fails if the suite
#             changed the working tree (scripts/tree_state.py)
# make check — the fast tier while working: lint and the unit tests (tests/unit), in parallel
# make screenshots — regenerate docs/screenshots/ (the tests marked `screenshots`, under Xvfb)
# make bundle — the one-folder bundle (PyInstaller) in dist/postseal; rebuilt when a source changed
# make deb — the Linux package over that bundle, in dist/
# make bundle-test — build both, then run only their tests (tests/installers)
# make bench — every benchmark against its baseline; writes the figures table of docs/benchmarks.md
# make policy-templates — write ADMX/ADML, the macOS profile, the Jamf schema, the Linux example,
#             docs/policy-reference.md, docs/config-reference.md and the agent's copy from
#             installers/policy.schema.json (and agent/config.py for the config reference)
# make fuzz — the fuzzers in tests/fuzz for longer (POSTSEAL_FUZZ_SECONDS each, 300 by default),
#             from a random seed: this is where new holes are found. `make test` runs them from a
#             fixed seed (POSTSEAL_FUZZ_SEED, overridable) so that a gate is the same gate twice.
# make msi  — the Windows MSI with wixl, from a bundle built on Windows (BUNDLE_WIN=folder with
#             postseal.exe and _internal); the release build uses the WiX toolset instead
#             (.github/workflows/release.yml, docs/deploy.md)
SHELL := /bin/bash
# pytest-xdist workers: the suite mostly waits (on gpg, servers it starts, browsers, subprocesses),
# so three per core keeps them busy (on 2 cores, 6 workers took about 15 % less time per test than 4), up to 8;
# POSTSEAL_TEST_WORKERS sets another number, 0 runs in one process.
WORKERS ?= $(or $(POSTSEAL_TEST_WORKERS),$(shell n=$$(( $$(nproc 2>/dev/null || echo 2) * 3 )); echo $$(( n > 8 ? 8 : n ))))
# The unit tests mostly compute: two per core for `make check`.
CHECK_WORKERS ?= $(or $(POSTSEAL_TEST_WORKERS),$(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 ))))
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.postseal-installed

BUNDLE := dist/postseal/postseal
BUNDLE_TOOLS := $(VENV)/.postseal-bundle-tools
# What ends up in the bundle: a change to any of it rebuilds it (installers/pyinstaller/postseal.spec).
BUNDLE_SOURCES := pyproject.toml $(shell find agent gui assets addins/outlook/web installers/pyinstaller \
                    -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: demo test check screenshots fuzz setup setup-test lint format bench clean policy-templates msi bundle deb bundle-test

$(STAMP): pyproject.toml
	@echo "== python: creating $(VENV) and installing postseal with its dependencies"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

setup:
	@echo "== system: checking Debian packages (python3, gnupg)"
	@scripts/ensure-system.sh demo
	@$(MAKE) --no-print-directory $(STAMP)

setup-test:
	@echo "== system: checking Debian packages (python3, gnupg, chromium, xvfb, nodejs, swaks, certutil, wixl, msitools, dpkg-deb, systemd-analyze, shellcheck)"
	@scripts/ensure-system.sh test
	@$(MAKE) --no-print-directory $(STAMP)

demo: setup
	@echo "== demo: postseal demo"
	@$(VENV)/bin/postseal demo

# `make format` rewrites the code as `ruff format` wants it; lint fails when it would change anything.
LINTED = agent gui tests benchmarks installers scripts
lint: $(STAMP)
	@echo "== lint: ruff check, ruff format --check"
	@$(VENV)/bin/ruff check $(LINTED)
	@$(VENV)/bin/ruff format --check --quiet $(LINTED) || { echo "lint: run make format to format the files above"; exit 1; }

format: $(STAMP)
	@$(VENV)/bin/ruff format $(LINTED)

# The bundle is built here (about 30-50 s when something changed, nothing otherwise): its tests
# run the real thing.
# The suite must leave the working tree as it found it (tests write into their temporary
# folders; the tracked screenshots change only through `make screenshots`): scripts/tree_state.py
# compares `git status` and each dirty file's hash before and after, and names what changed.
test: setup-test lint bundle
	@echo "== test: pytest on $(WORKERS) workers (fuzzers from seed $${POSTSEAL_FUZZ_SEED:-20261207})"
	@state=$$(mktemp) && $(PY) scripts/tree_state.py save "$$state" && \
	  { POSTSEAL_FUZZ_SEED=$${POSTSEAL_FUZZ_SEED:-20261207} $(PY) -m pytest -q -n $(WORKERS) --dist worksteal; code=$$?; \
	    echo "== test: checking that the working tree is as it was"; \
	    $(PY) scripts/tree_state.py compare "$$state"; tree=$$?; rm -f "$$state"; \
	    exit $$(( code ? code : tree )); }

check: $(STAMP)
	@echo "== check: ruff, then the unit tests ($(CHECK_WORKERS) workers)"
	@$(MAKE) --no-print-directory lint
	@$(PY) -m pytest -q -n $(CHECK_WORKERS) --dist worksteal tests/unit

# The pictures in docs/screenshots/ (README, guides), taken by the tests marked `screenshots`
# against a real agent: the tray under Xvfb (a real X server, the desktop's fonts), the portal and
# the add-ins in headless Chromium. Look at them before committing.
screenshots: setup-test
	@echo "== screenshots: pytest -m screenshots into docs/screenshots"
	@xvfb-run -a -s "-screen 0 1280x900x24" env QT_QPA_PLATFORM=xcb \
	  POSTSEAL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest -q -m screenshots \
	  tests/gui tests/integration/test_portal_browser.py tests/addins
	@git status --short docs/screenshots

fuzz: setup-test
	@echo "== fuzz: tests/fuzz, $${POSTSEAL_FUZZ_SECONDS:-300} s per fuzzer"
	@POSTSEAL_FUZZ_SECONDS=$${POSTSEAL_FUZZ_SECONDS:-300} $(PY) -m pytest -q tests/fuzz

policy-templates: $(STAMP)
	@echo "== policy templates: from installers/policy.schema.json"
	@$(PY) -m installers.generate

# `make bench` runs every benchmark. Those with figures (acceptance, check, pipeline, protect,
# outbox, portal: benchmarks/suite.py) run first, then their table is written into docs/benchmarks.md
# between its markers (the date and the machine with it): commit it with the change it measures.
# The DLP benchmark prints its own report (precision and recall on the labelled corpora, against
# Presidio). None is part of `make test`; a smoke run of each is (tests/integration/
# test_benchmarks_smoke.py, test_portal_benchmark.py; the DLP scoring in test_phi_corpus.py).
# setup-test: the portal benchmark starts a throwaway PostgreSQL (Debian's postgresql).
bench: setup-test
	@echo "== bench: installing the DLP baseline (presidio-analyzer, spaCy; ~375 MB, once)"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@$(PY) -m benchmarks all --write docs/benchmarks.md
	@$(PY) -m benchmarks dlp

$(BUNDLE_TOOLS): $(STAMP)
	@echo "== python: installing the bundle tools (PyInstaller, the 'bundle' extra)"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bundle]'
	@touch $(BUNDLE_TOOLS)

$(BUNDLE): $(BUNDLE_TOOLS) $(BUNDLE_SOURCES)
	@echo "== bundle: PyInstaller, one folder (installers/pyinstaller/postseal.spec)"
	@start=$$(date +%s); \
	  $(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
	    installers/pyinstaller/postseal.spec && \
	  echo "bundle: built in $$(( $$(date +%s) - start )) s"
	@touch $(BUNDLE)

bundle: setup $(BUNDLE)
	@echo "bundle: $(CURDIR)/dist/postseal ($$(du -sh dist/postseal | cut -f1); run dist/postseal/postseal --help)"

deb: bundle
	@echo "== deb: dpkg-deb over dist/postseal (installers/linux/build-deb.sh)"
	@installers/linux/build-deb.sh dist/postseal dist

bundle-test: setup-test bundle
	@echo "== bundle-test: the bundle and the .deb (tests/installers)"
	@$(PY) -m pytest -q tests/installers

BUNDLE_WIN ?= dist/windows/postseal
msi: $(STAMP)
	@echo "== msi: installers/windows/postseal.wxs over $(BUNDLE_WIN)"
	@PYTHON=$(PY) installers/windows/build-msi.sh $(BUNDLE_WIN) \
		dist/Postseal-$$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)-x64.msi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist
