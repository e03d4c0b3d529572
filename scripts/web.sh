#!/bin/sh
# The production web server. The Dockerfile, docker-compose.yml and the CI smoke stage
# (scripts/smoke-ci.sh) all start it through this file, so what CI runs is what ships.
#
# --timeout 120: uploads are parsed inside the request, and a 100,000-row CSV (the
#   INGEST_MAX_ROWS limit) takes 25-30 s on a 2-core machine. With WEB_THREADS=1 (the
#   sync worker) the timeout bounds each request; with threads it bounds the worker's
#   heartbeat, which a long parse in C code holding the GIL can starve. gunicorn's
#   default 30 s could kill a worker mid-upload; 120 s leaves room for a slower host.
# --no-control-socket: its default path is one per user, shared by every gunicorn on
#   the host; nothing here uses it.
exec gunicorn extractor.wsgi \
  --bind "${WEB_BIND:-0.0.0.0:8000}" \
  --workers "${WEB_CONCURRENCY:-3}" \
  --threads "${WEB_THREADS:-4}" \
  --timeout 120 \
  --access-logfile - \
  --no-control-socket
