#!/usr/bin/env bash
# `make test`: the SQLite pass, the PostgreSQL pass and the API fuzzer side by side (the machine has
# two cores and the passes spend much of their time waiting on processes, the broker and the
# database), each in vhosts, a VAR_DIR and a database of its own; then the fault drills, with nothing beside them that
# uses the broker, because they restart RabbitMQ under everything else. The output of the passes
# beside the first goes to var/test-*.log and is printed when they end.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PYTEST=.venv/bin/pytest
DB="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/aibox}"
LOG=var/test-postgres.log
BESIDE_LOG=var/test-beside-drills.log
FUZZ_LOG=var/test-fuzz.log

# A PostgreSQL pass's vhosts and VAR_DIR (`suffix`: pg, fuzz) and its database (the fuzzer's
# beside $DB: each pass's test database is test_<name>).
pg_env() {
  local suffix=$1 database=$DB; shift
  [ "$suffix" = pg ] || database="${DB%/*}/aibox_$suffix"
  env DATABASE_URL="$database" VAR_DIR="$PWD/var/test-$suffix" \
    BOX_VHOST=aibox-test-$suffix BOX_UPLOAD_VHOST=aibox-test-$suffix-upload \
    BROKER_URL=amqp://guest:guest@127.0.0.1:5672/aibox-test-$suffix-celery CONTRACT_VHOST_PREFIX=aibox-contract-$suffix "$@"
}

if $PY scripts/db_reachable.py "$DB"; then
  postgres=yes
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL unreachable at $DB" >&2; exit 1
else
  postgres=no; echo "PostgreSQL not reachable at $DB: the suite runs on SQLite only."
fi

# Both passes read the collected static files: collect once, before either starts.
$PY manage.py collectstatic --noinput -v 0 || exit 1
mkdir -p var
status=0
if [ "$postgres" = yes ]; then
  # Three passes side by side (two of them wait much of their time): the SQLite pass; the
  # PostgreSQL pass; the fuzzer, once, against PostgreSQL (the stricter engine). The agent, browser
  # and engine-agnostic ("once") tests run once, on SQLite, but for those marked in_postgres_pass,
  # run in the PostgreSQL pass to balance the passes (tests/conftest.py).
  pg_env pg $PYTEST -p no:cacheprovider \
    -m "((not edge and not once and not browser) or in_postgres_pass) and not drill and not beside_drills and not fuzz" \
    >"$LOG" 2>&1 &
  pg_pid=$!
  pg_env fuzz $PYTEST -p no:cacheprovider -m fuzz >"$FUZZ_LOG" 2>&1 &
  fuzz_pid=$!
  echo "PostgreSQL pass and fuzzer running beside this one (output: $LOG, $FUZZ_LOG)"
  $PYTEST -m "not fuzz and not drill and not in_postgres_pass and not beside_drills" || status=1
  wait "$pg_pid" || status=1
  wait "$fuzz_pid" || status=1
  echo "=================================== PostgreSQL pass ==================================="
  cat "$LOG"
  echo "================================ the fuzzer, PostgreSQL ================================"
  cat "$FUZZ_LOG"
else
  $PYTEST -m "not drill and not beside_drills" || status=1
fi

# Once, on SQLite: they break the broker and kill processes (the engine is not what they test;
# bench/web_drill.py kills a web process on PostgreSQL). Running them again on PostgreSQL cost
# 2 min 14 s of a suite meant to stay under 15 minutes. Beside them, on the core their broker
# restarts leave idle, the agent's tests that use neither the broker nor a database.
echo "==================================== fault drills ====================================="
env VAR_DIR="$PWD/var/test-beside" $PYTEST -p no:cacheprovider -m beside_drills >"$BESIDE_LOG" 2>&1 &
beside_pid=$!
$PYTEST -m drill || status=1
wait "$beside_pid" || status=1
echo "============================ beside the drills: the agent ============================="
cat "$BESIDE_LOG"
exit $status
