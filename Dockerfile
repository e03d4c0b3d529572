# One image for the web server, the Celery worker and beat (the command differs).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home --uid 1000 app && mkdir -p /data && chown app /data
USER app

# collectstatic needs settings but no database: a throwaway key is enough at build time.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "extractor.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-", "--no-control-socket"]
