# Every target creates .venv when it is missing, so a fresh clone needs only `make <target>`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test bench lint screenshots clean clis torture

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The dashboard on your agents' data; the demo while there is none yet.
run: $(STAMP)
	$(BIN)/packwatch --demo-if-empty

demo: $(STAMP)
	$(BIN)/packwatch demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The long fault-injection run: TORTURE_SEEDS random runs of TORTURE_STEPS steps each (CI runs 3 short ones).
TORTURE_SEEDS ?= 20
TORTURE_STEPS ?= 200
torture: $(STAMP)
	TORTURE_SEEDS=$(TORTURE_SEEDS) TORTURE_STEPS=$(TORTURE_STEPS) $(BIN)/python -m pytest -q -m torture tests/torture

# Every target of DESIGN.md in one run (about 10 minutes); `bench/run.py --claude DIR` measures your own
# Claude Code folder, `--only claude|ledger|light` one part.
bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/team.py

# The agents' real CLIs (and ccusage) at the versions their formats were checked against, for the
# end-to-end tests and the bench; tests that need one skip when it is missing.
CLIS := .cache/clis
clis: $(STAMP)
	mkdir -p $(CLIS)
	npm install --prefix $(CLIS) --no-audit --no-fund --loglevel=error $$($(BIN)/python -c \
	  'from tests.support.clis import PINNED; print(" ".join(f"{p}@{v}" for p, v, _ in PINNED.values()))')

screenshots: $(STAMP)
	$(BIN)/python screenshots/make.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
