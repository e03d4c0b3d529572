# One image for the web server, the Celery worker and beat (the command differs).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    DEBUG=0

WORKDIR /app
# Tesseract reads scanned PDF pages and images (projects/ingest/ocr.py). English comes
# with it; more languages are packs: --build-arg OCR_LANGUAGE_PACKS="tesseract-ocr-deu".
ARG OCR_LANGUAGE_PACKS=""
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr ${OCR_LANGUAGE_PACKS} \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
# requirements.txt alone is the production install; CI's smoke stage
# (scripts/smoke-ci.sh) installs exactly this and runs the app from it.
RUN pip install -r requirements.txt && pip check
COPY . .
# /data/media exists in the image, owned by app: a new named volume mounted there
# (docker-compose.yml) starts with that owner, so uploads can be written.
RUN useradd --create-home --uid 1000 app && mkdir -p /data/media && chown -R app /data
USER app

# collectstatic needs settings but no database: a throwaway key is enough at build time.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput

EXPOSE 8000
# Ready = the database and the broker answer. The image has no curl; Python has urllib
# (an error status raises, which fails the check). The probes are answered whatever
# ALLOWED_HOSTS and BEHIND_TLS say (extractor.middleware.HealthProbeMiddleware). The
# worker and beat services, which serve no HTTP, turn this check off.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# gunicorn with WEB_CONCURRENCY processes of WEB_THREADS threads; see the file for its
# timeout. The worker's command is scripts/worker.sh.
CMD ["scripts/web.sh"]
