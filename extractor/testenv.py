"""Loaded by pytest before Django settings (``-p extractor.testenv`` in pyproject).

Tests get their own data folder (SQLite file, media, filesystem broker, cache), so a
test run never drops messages into the queue of a ``make run`` on the same checkout.
"""

from __future__ import annotations

import os
import tempfile
import uuid

# Under pytest-xdist each test process gets a data folder, queue and cache keys of its
# own: it inherits the controller's environment, which this module already filled.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist_worker:
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix=f"extractor-test-{_xdist_worker}-")
    os.environ.pop("TEST_SQLITE_NAME", None)
    for _name in ("CELERY_QUEUE", "CACHE_KEY_PREFIX"):
        os.environ[_name] = f"{os.environ.get(_name, 'test')}-{_xdist_worker}"
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="extractor-test-"))
# A file, not memory, when the suite runs on SQLite: worker processes started by the
# integration tests must see the rows the tests commit.
os.environ.setdefault("TEST_SQLITE_NAME", os.path.join(os.environ["DATA_DIR"], "test.sqlite3"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("STATIC_MANIFEST", "0")
# A queue of this run's own: tasks a test enqueues never reach another run's workers.
os.environ.setdefault("CELERY_QUEUE", f"test-{uuid.uuid4().hex[:10]}")
os.environ.setdefault("LLM_BACKOFF_BASE", "0.05")
os.environ.setdefault("LLM_BACKOFF_MAX", "0.5")
