"""WSGI entry point (gunicorn extractor.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extractor.settings")
application = get_wsgi_application()
