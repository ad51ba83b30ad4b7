# Puncta — the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev
PORT ?= 8000

.PHONY: demo test install install-dev lint bench lock clean

demo: $(RUNTIME_STAMP)
	$(BIN)/puncta demo --port $(PORT)

test: $(DEV_STAMP)
	$(BIN)/python scripts/run_tests.py

lint: $(DEV_STAMP)
	$(BIN)/python scripts/run_tests.py --lint-only

# A short HTTP bench on a 2,000-patient SQLite database (seeded on first run), then the
# rules engine bench. Longer runs and PostgreSQL: see bench/README.md.
bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py --database-url sqlite:////tmp/puncta-bench/bench.sqlite3 \
		--seed-patients 2000 --seconds 10 --clients 8 --workers 3 --json var/bench/short.json
	$(BIN)/python bench/rules.py

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

# A venv from the lock files: uv when present, else venv + pip. Re-run only when a lock
# file or pyproject.toml changes, so running `make demo` or `make test` twice is cheap.
$(RUNTIME_STAMP): requirements.lock pyproject.toml
	@$(MAKE) --no-print-directory _install LOCK=requirements.lock
	@touch $@

$(DEV_STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(MAKE) --no-print-directory _install LOCK=requirements-dev.lock
	@touch $(RUNTIME_STAMP) $@

_install:
	@if command -v uv >/dev/null 2>&1; then \
		[ -x $(BIN)/python ] || uv venv --python $(PYTHON) $(VENV); \
		uv pip install --python $(BIN)/python -r $(LOCK) && \
		uv pip install --python $(BIN)/python --no-deps -e .; \
	else \
		[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(LOCK) && \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .; \
	fi

lock: $(DEV_STAMP)
	@echo "Edit pyproject.toml, then refresh the pins from a clean venv:"
	@echo "  python3 -m venv /tmp/lockenv && /tmp/lockenv/bin/pip install -e . && /tmp/lockenv/bin/pip freeze --exclude-editable"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
