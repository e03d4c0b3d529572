"""WSGI entry point (gunicorn extractor.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extractor.settings")
application = get_wsgi_application()


def _freeze_startup_objects() -> None:
    """Take what start-up loaded out of the cycle collector's sight.

    A web process keeps about 200,000 objects for its whole life (modules, URL patterns,
    views, serializers), and each full collection scans them all while holding the GIL,
    so every thread of the process waits. Under load (bench/load.py, 10 clients) these
    pauses took 0.5-0.8 s and made the slowest requests, 0.9-1.1 s. Frozen after the
    URLconf is loaded (which imports every view), a full collection scans the 20,000-40,000
    objects made since: at most 0.3 s, and the slowest requests took 0.3-0.5 s.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - importing every view module is the point
    gc.collect()
    gc.freeze()


_freeze_startup_objects()
