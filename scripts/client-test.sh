#!/usr/bin/env bash
# `make client-test`: the TypeScript client (clients/typescript) against a real server.
#
# Installs the client's npm packages from its lockfile, checks it with `tsc --noEmit`
# (strict), builds it, then starts the whole product as `make run` does (the web
# server, a Celery worker and the simulated model, on SQLite and the embedded broker,
# in a throwaway data directory, DEBUG off) with two accounts, and runs the client's
# Node tests against it: the committed types are what the served OpenAPI document
# generates, and the workflow from a token to a downloaded XLSX works through the
# typed client alone. Whatever happens, the server is stopped and its directory
# removed; on failure the server log's last lines are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
client="$root/clients/typescript"
python="$root/.venv/bin/python"
work="$(mktemp -d "${TMPDIR:-/tmp}/extractor-client.XXXXXX")"
server_pid=""

say() { printf '[client-test %3ds] %s\n' "$SECONDS" "$*"; }

cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$work/server.log" ]; then
    echo "----- the last lines of the server log -----"
    tail -n 40 "$work/server.log"
  fi
  rm -rf "$work"
  if [ "$status" -eq 0 ]; then say "passed"; else say "FAILED (exit status $status)"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v npm >/dev/null || { say "npm is needed (Node.js 20 or later)"; exit 1; }

say "installing the client's packages (npm ci) and checking it (tsc --noEmit, strict)"
(cd "$client" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent typecheck \
  && npm run --silent build)

# Only what the server needs: none of the caller's database, broker or provider.
read -r port simulator_port < <("$python" scripts/free_ports.py 2)
unset DATABASE_URL REDIS_URL CELERY_QUEUE CACHE_KEY_PREFIX OPENAI_API_KEY OPENAI_BASE_URL \
  LLM_SIMULATED COVERAGE_PROCESS_START
export DJANGO_SETTINGS_MODULE=extractor.settings DEBUG=0 DATA_DIR="$work/data" \
  PORT="$port" SIMULATOR_PORT="$simulator_port" SIMULATOR_LATENCY=0.05 \
  SIMULATOR_BATCH_DELAY=1 WORKER_CONCURRENCY=2 WEB_CONCURRENCY=2
export WORKBENCH_URL="http://127.0.0.1:$port" \
  WORKBENCH_USER=client-owner WORKBENCH_PASSWORD="owner-$RANDOM-$RANDOM" \
  WORKBENCH_OTHER_USER=client-stranger WORKBENCH_OTHER_PASSWORD="stranger-$RANDOM-$RANDOM"

say "preparing the database and two accounts in $DATA_DIR"
"$python" manage.py migrate --noinput -v 0
"$python" manage.py shell --no-imports -c '
import os
from django.contrib.auth import get_user_model
for name, secret in [("WORKBENCH_USER", "WORKBENCH_PASSWORD"),
                     ("WORKBENCH_OTHER_USER", "WORKBENCH_OTHER_PASSWORD")]:
    get_user_model().objects.create_user(os.environ[name], password=os.environ[secret])
'

say "starting the server on $WORKBENCH_URL (web, worker, simulated model)"
setsid "$python" -m extractor.stack >"$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 240); do
  kill -0 "$server_pid" 2>/dev/null || { say "the server exited"; exit 1; }
  if "$python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "$WORKBENCH_URL/readyz" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.5
done
[ "$ready" = 1 ] || { say "the server was not ready after 2 minutes"; exit 1; }

say "running the client's tests"
started=$SECONDS
(cd "$client" && npm test --silent)
say "the client's tests took $((SECONDS - started)) s"
