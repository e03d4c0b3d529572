#!/bin/sh
# The production Celery worker. docker-compose.yml and the CI smoke stage
# (scripts/smoke-ci.sh) both start it through this file. Beat runs on its own, once per
# deployment (the compose `beat` service).
exec celery -A extractor worker \
  --loglevel INFO \
  --concurrency "${WORKER_CONCURRENCY:-2}" \
  --queues "${CELERY_QUEUE:-extractor}"
