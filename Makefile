# Two commands: `make run` serves the site, `make test` runs the whole suite. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 4

.PHONY: run test check demo lint translations messages install browser nginx redis fonts bench screenshots clean \
	train-matcher evaluate-matcher

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations

# After changing interface strings: refresh the French catalogue, translate, commit the .po.
messages: | $(BIN)/python
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs=".* .venv node_modules" \
		--no-location --sort-output --width 100 -o statuspage/translations/messages.pot .
	$(BIN)/pybabel update -i statuspage/translations/messages.pot -d statuspage/translations \
		--width 100 --ignore-pot-creation-date
	rm statuspage/translations/messages.pot

translations: | $(BIN)/python
	$(BIN)/pybabel compile --statistics -d statuspage/translations

# The site and its worker (mail, webhooks, maintenance, spooled requests); Ctrl-C stops both.
# Links point at http://HOST:PORT unless STATUSPAGE_BASE_URL says otherwise.
run: install
	@export STATUSPAGE_BASE_URL="$${STATUSPAGE_BASE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/flask --app wsgi init && $(BIN)/flask --app wsgi staff hint || exit 1; \
	$(BIN)/flask --app wsgi worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --worker-class gthread \
		--threads $(THREADS) --access-logfile - wsgi:app

demo: install
	$(BIN)/flask --app wsgi init
	$(BIN)/flask --app wsgi demo

# The matcher's model: fit on the labelled sets, written to statuspage/domain/matching/model.json
# (committed). Then the cross-validated figures: each scenario scored by a model trained without it.
DEFLECTION_SETS := tests/data/deflection-dev.json tests/data/deflection-train.json
train-matcher: $(VENV)/.installed-test
	$(BIN)/flask --app wsgi deflection train $(DEFLECTION_SETS)

evaluate-matcher: $(VENV)/.installed-test
	$(BIN)/flask --app wsgi deflection evaluate --folds $(DEFLECTION_SETS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser tests drive Debian's Chromium (never a downloaded one); the HTML checker needs Java.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v java >/dev/null 2>&1 || { \
		echo "installing a Java runtime for the HTML checker"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }

# tests/test_deploy.py runs deploy/nginx.conf in Debian's nginx (started by the test itself)
# and checks the systemd units with systemd-analyze.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
		echo "installing Debian's nginx for the deployment test"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
	@command -v systemd-analyze >/dev/null 2>&1 || { \
		echo "installing systemd-analyze (Debian's systemd) to check the units"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null; }

# tests/test_instances.py starts Debian's redis-server itself (shared rate limits).
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing Debian's redis-server for the shared rate limits test"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# The og:image cards of incidents are drawn with Debian's DejaVu Sans (STATUSPAGE_CARD_FONT
# names another .ttf); without any font the pages go without cards.
fonts:
	@[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || { \
		echo "installing Debian's fonts-dejavu-core for the incident cards"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; }

# axe-core (accessibility) and vnu-jar (HTML validity), from npm, pinned by package-lock.json.
tests/e2e/node_modules/axe-core/axe.min.js: tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --silent && touch node_modules/axe-core/axe.min.js

# The inner loop: lint and the suite on SQLite, without the browser tests and the slow ones
# (the matcher's cross-validation, the HTML checker): markers of pyproject.toml.
check: $(VENV)/.installed-test translations lint nginx redis fonts
	$(BIN)/pytest -q -x -m "not browser and not slow"

# The whole suite on SQLite, then on PostgreSQL the tests that reach the database (tests/conftest.py
# leaves out there those that do not: domain rules, browser, HTML checker, nginx, files on disk).
test: $(VENV)/.installed-test translations lint browser nginx redis fonts tests/e2e/node_modules/axe-core/axe.min.js
	$(BIN)/pytest -q --durations=10
	tests/with-postgres.sh $(BIN)/pytest -q -p no:cacheprovider --durations=10

# Benchmarks, not part of `make test`: ratios measured side by side on this machine (wrk and
# nginx from Debian, PostgreSQL started as for the tests). Copy the printed sections into
# bench/RESULTS.md.
bench: $(VENV)/.installed-test translations nginx
	@command -v wrk >/dev/null 2>&1 || { \
		echo "installing Debian's wrk for the benchmarks"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/load.py
	$(BIN)/python bench/storm.py
	tests/with-postgres.sh $(BIN)/python bench/storm.py

# PNGs of the main pages over the demo history, shown by the README (committed).
screenshots: $(VENV)/.installed-test translations browser fonts
	$(BIN)/python -m statuspage.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
