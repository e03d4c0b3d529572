#!/usr/bin/env bash
# CI's production smoke stage (.ci/run calls it after `make test`).
#
# The test suite runs in .venv, which the development requirements fill; production
# installs requirements.txt alone (Dockerfile). This stage installs exactly that into a
# fresh virtualenv, checks it (pip check, an import of every module, check --deploy),
# starts the app as production does (scripts/web.sh, scripts/worker.sh) with production
# settings against this machine's PostgreSQL and Redis, and walks it through one job
# with scripts/smoke.py. Whatever happens, every process it started is stopped and its
# database and Redis keys are removed; on failure the logs' last lines are printed.
#
#   scripts/smoke-ci.sh
#   SMOKE_UNINSTALL=packaging scripts/smoke-ci.sh   # see it fail on a missing dependency
#
# SMOKE_PG_URL (postgres://postgres@127.0.0.1:5432), SMOKE_REDIS_URL
# (redis://127.0.0.1:6379/0) and SMOKE_PYTHON (python3) say what to run against.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${SMOKE_PG_URL:-postgres://postgres@127.0.0.1:5432}"
redis_url="${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/0}"
run_id="smoke_$(date +%s)_$$"
work="$(mktemp -d "${TMPDIR:-/tmp}/extractor-smoke.XXXXXX")"
venv="$work/venv"
pids=()
names=()
database_created=0

say() { printf '[smoke %3ds] %s\n' "$SECONDS" "$*"; }

stop_processes() {
  # SIGTERM to each main process (gunicorn and Celery stop their own children), then
  # SIGKILL to the whole process group of anything still there after 20 s.
  local pid deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}

cleanup() {
  local status=$?
  stop_processes
  if [ "$status" -ne 0 ]; then
    for log in web worker simulator; do
      if [ -s "$work/$log.log" ]; then
        echo "----- the last lines of the $log log -----"
        tail -n 30 "$work/$log.log"
      fi
    done
  fi
  if [ "$database_created" = 1 ]; then
    psql "$pg_url/postgres" -qc "DROP DATABASE IF EXISTS ${run_id} WITH (FORCE)" || true
  fi
  if command -v redis-cli >/dev/null; then
    redis-cli -u "$redis_url" --scan --pattern "*${run_id}*" \
      | xargs -r redis-cli -u "$redis_url" del >/dev/null || true
  fi
  rm -rf "$work"
  if [ "$status" -eq 0 ]; then say "passed"; else say "FAILED (exit status $status)"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  say "FAILED: $*" >&2
  exit 1
}

# A background process in its own process group (setsid), so that stopping it reaches
# everything it forked; its output goes to $work/<name>.log.
start() {
  local name=$1
  shift
  setsid "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
  say "started $name (pid $!)"
}

alive_or_fail() {
  local i
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || fail "the ${names[$i]} exited: see its log below"
  done
}

# --- The install: requirements.txt and nothing else ----------------------------------

unpinned="$(grep -vE '^[[:space:]]*(#|$)' requirements.txt | grep -v '==' || true)"
[ -z "$unpinned" ] || fail "requirements.txt pins every package (name==version); not: $unpinned"

say "creating a virtualenv from requirements.txt alone"
"${SMOKE_PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet -r requirements.txt >"$work/pip.log" 2>&1 \
  || { tail -n 30 "$work/pip.log"; fail "pip install -r requirements.txt"; }
if [ -n "${SMOKE_UNINSTALL:-}" ]; then
  # Only to show that this stage catches a missing runtime dependency.
  say "removing ${SMOKE_UNINSTALL} from the virtualenv (SMOKE_UNINSTALL)"
  # shellcheck disable=SC2086  # a list of package names
  "$venv/bin/python" -m pip uninstall --quiet --yes $SMOKE_UNINSTALL
fi
# pip check sees a missing or conflicting requirement, but not a missing extra's: that
# is what the import of every module below and the running app are for.
"$venv/bin/python" -m pip check || fail "pip check: the installed requirements are inconsistent"

# --- Production settings ---------------------------------------------------------------

# Nothing from the development environment may leak in: the virtualenv's own commands
# come first on PATH (scripts/web.sh and worker.sh call gunicorn and celery by name).
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV COVERAGE_PROCESS_START COVERAGE_PROCESS_CONFIG
export PATH="$venv/bin:$PATH"
read -r web_port simulator_port < <(python scripts/free_ports.py 2)
export DJANGO_SETTINGS_MODULE=extractor.settings
export DEBUG=0
SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
# As behind a TLS proxy: HTTPS redirect, secure cookies, HSTS (check --deploy wants
# them); scripts/smoke.py then sends X-Forwarded-Proto: https as the proxy would.
export BEHIND_TLS=1
export DATABASE_URL="$pg_url/$run_id"
export REDIS_URL="$redis_url"
export CELERY_QUEUE="$run_id"
export CACHE_KEY_PREFIX="$run_id"
export DATA_DIR="$work/data"
export OPENAI_BASE_URL="http://127.0.0.1:$simulator_port/v1"
export OPENAI_API_KEY=simulated
export LLM_SIMULATED=1
export WEB_BIND="127.0.0.1:$web_port"
export WEB_CONCURRENCY=2
export WEB_THREADS=4
export WORKER_CONCURRENCY=2

say "importing every module"
python scripts/import_all.py || fail "a module does not import with requirements.txt alone"
python manage.py check --deploy --fail-level WARNING \
  || fail "manage.py check --deploy with production settings"

# --- A fresh database, static files, a user -------------------------------------------

psql "$pg_url/postgres" -qc "CREATE DATABASE ${run_id}"
database_created=1
say "migrating database ${run_id}"
python manage.py migrate --noinput >"$work/migrate.log" 2>&1 \
  || { tail -n 30 "$work/migrate.log"; fail "migrate"; }
python manage.py collectstatic --noinput >/dev/null || fail "collectstatic"
export SMOKE_USERNAME=smoke
SMOKE_PASSWORD="$(python -c 'import secrets; print(secrets.token_urlsafe(16))')"
export SMOKE_PASSWORD
DJANGO_SUPERUSER_PASSWORD="$SMOKE_PASSWORD" python manage.py createsuperuser --noinput \
  --username "$SMOKE_USERNAME" --email smoke@example.org >/dev/null

# --- The processes production runs, then the walk-through -----------------------------

start simulator python manage.py simulate_llm --port "$simulator_port"
start web scripts/web.sh
start worker scripts/worker.sh

base_url="http://127.0.0.1:$web_port"
ready_deadline=$((SECONDS + 60))
until python -c "import urllib.request; urllib.request.urlopen('$base_url/readyz', timeout=2)" \
  2>/dev/null && grep -q " ready\.$" "$work/worker.log"; do
  alive_or_fail
  [ "$SECONDS" -lt "$ready_deadline" ] || fail "web /readyz or the worker not ready in 60 s"
  sleep 0.5
done
say "web and worker ready on $base_url"

python scripts/smoke.py "$base_url" --forwarded-proto https --wait 60 \
  || fail "scripts/smoke.py"
alive_or_fail
