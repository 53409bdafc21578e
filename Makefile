# make demo | make test | make bench -- each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Scan the bundled demo app; it has planted issues, so the scan's exit status 1 is the expected result.
demo: install
	mkdir -p reports
	$(BIN)/launchready scan fixtures/demo-app --json reports/demo.json --sarif reports/demo.sarif \
	  --html reports/demo.html; \
	  status=$$?; [ $$status -le 1 ] || exit $$status
	@echo "reports written to reports/"

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest

# Side-by-side benchmarks against peers (each prints medians, peak memory and ratios; peers come with the
# dev extra). BENCH_SIZE: MB of generated source for the secrets speed run (200 for the full run).
BENCH_SIZE ?= 200
# bench/memory.py: MB of generated history and working tree (quick run: make bench MEMORY_TREE_MB=200 ...).
MEMORY_HISTORY_MB ?= 1024
MEMORY_TREE_MB ?= 5120
# bench/code_checks_speed.py: real working trees to time full scans against secrets-only scans and semgrep
# (e.g. a sqlalchemy checkout and a ~2,000-file TypeScript monorepo); skipped when empty. SEMGREP: its path.
CODE_BENCH_PATHS ?=
SEMGREP ?= semgrep
bench: install
	$(BIN)/python bench/history_speed.py
	$(BIN)/python bench/staged_latency.py
	$(BIN)/python bench/secrets_accuracy.py
	$(BIN)/python bench/secrets_ds_filters.py
	$(BIN)/python bench/secrets_speed.py --size $(BENCH_SIZE)
	cd bench && ../$(BIN)/python memory.py --history-mb $(MEMORY_HISTORY_MB) --tree-mb $(MEMORY_TREE_MB)
	$(if $(CODE_BENCH_PATHS),$(BIN)/python bench/code_checks_speed.py $(CODE_BENCH_PATHS) --semgrep $(SEMGREP),)

# Coverage-guided fuzzing (atheris, the `fuzz` extra): every target in fuzz/targets.py for up to FUZZ_RUNS
# inputs or FUZZ_SECONDS each, from the seeds in fuzz/corpus/; results in bench/fuzz_results.md, crash
# inputs in fuzz/crashes/. Exit status 1 if any target crashed.
FUZZ_RUNS ?= 100000
FUZZ_SECONDS ?= 90
fuzz: install
	$(BIN)/python -m pip install --quiet -e '.[fuzz]'
	$(BIN)/python fuzz/run_all.py --runs $(FUZZ_RUNS) --seconds $(FUZZ_SECONDS) --record bench/fuzz_results.md

clean:
	rm -rf $(VENV) build dist reports/*.json reports/*.sarif reports/*.html reports/*.png
