"""Import every module of the apps and of extractor/, as the installed environment has them.

    DJANGO_SETTINGS_MODULE=extractor.settings python scripts/import_all.py

Views, tasks, management commands and the parsers of rarer formats are imported only
when first used, so a runtime dependency missing from requirements.txt would show up as
a 500 or a dead worker in production, on the first such use. The CI smoke stage runs
this in a virtualenv made from requirements.txt alone, which turns that into a failed
build. Tests and test helpers are left out: they need the development requirements.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGES = ["extractor", "projects", "schemas", "processing", "exports"]
# Loaded by pytest only (``-p extractor.testenv``).
TEST_ONLY = {"extractor.testenv"}


def module_names() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            parts = list(path.relative_to(BASE_DIR).with_suffix("").parts)
            if "tests" in parts or parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            if name not in TEST_ONLY:
                names.append(name)
    return names


def main() -> int:
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    names = module_names()
    failures = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # report every broken module, not just the first
            failures.append((name, traceback.format_exc(limit=-3)))

    # Celery imports the broker's transport by name from the URL, when it first sends
    # or receives a message (kombu.transport.redis needs `packaging`, which only the
    # `redis` extra of kombu brings): load it too. Nothing connects here.
    from django.conf import settings
    from kombu import Connection

    try:
        transport = type(Connection(settings.CELERY_BROKER_URL).transport).__module__
    except Exception:
        failures.append(("the broker transport", traceback.format_exc(limit=-3)))
        transport = "none"

    for name, error in failures:
        print(f"import failed: {name}\n{error}", file=sys.stderr)
    if failures:
        print(f"import sweep: {len(failures)} of {len(names) + 1} failed", file=sys.stderr)
        return 1
    print(f"import sweep: {len(names)} modules and the broker transport ({transport}) import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
