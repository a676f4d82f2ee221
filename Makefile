# The two commands of the README: `make run` and `make test`.
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# Python 3.13 (.python-version): pyenv's if it has one, else the system's.
PYTHON313 ?= $(shell pyenv which python3.13 2>/dev/null || command -v python3.13 || ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | tail -n 1)

.PHONY: run test test-sqlite test-postgres test-instances lint bench messages clean

$(PY):
	@test -n "$(PYTHON313)" || { echo "Python 3.13 is needed: pyenv install 3.13 (or apt-get install python3.13)"; exit 1; }
	$(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt tests/browser/axe/package-lock.json | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	@command -v npm >/dev/null || { echo "npm is needed for axe-core: apt-get install nodejs npm"; exit 1; }
	cd tests/browser/axe && npm ci --no-audit --no-fund --silent
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@# The worker (mail) beside the web server; stopping one stops both.
	$(PY) manage.py run_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite twice: on SQLite, then on PostgreSQL (DATABASE_URL when
# given, else a throwaway server started from the installed binaries).
test: test-sqlite test-postgres

test-sqlite: $(VENV)/.dev
	@echo "==> test suite on SQLite"
	env -u DATABASE_URL $(PY) -m pytest -n auto

test-postgres: $(VENV)/.dev
	@echo "==> test suite on PostgreSQL"
	@case "$$DATABASE_URL" in \
	  postgres*) $(PY) -m pytest -n auto ;; \
	  *) scripts/with-postgres $(PY) -m pytest -n auto ;; \
	esac

# Two app servers on one PostgreSQL and one Redis: a change, an upload and a crash (CI runs it).
test-instances: $(VENV)/.dev
	scripts/with-postgres $(PY) scripts/two_instances.py

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/yamllint --strict compose.yaml .yamllint.yaml
	$(VENV)/bin/mypy

bench: $(VENV)/.dev
	$(PY) scripts/bench.py
	$(PY) scripts/bench_http.py
	scripts/with-postgres $(PY) scripts/bench_http.py --sessions 5000
	scripts/with-postgres $(PY) scripts/bench_import.py --sessions 90 10000
	$(PY) scripts/bench_search.py --talks 50000
	$(PY) scripts/bench_lighthouse.py
	$(PY) scripts/bench_mail.py
	scripts/with-postgres $(PY) scripts/bench_mail.py

# Refresh both catalogs after changing strings (needs gettext's msgfmt).
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore '.venv/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
