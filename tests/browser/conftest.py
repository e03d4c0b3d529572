"""Chromium driven by Playwright against pytest-django's live server.

Playwright cannot download its own browsers here, so the tests use Debian's Chromium
(``/usr/bin/chromium``, or ``CHROMIUM_PATH``). Without it they skip, unless
``REQUIRE_BROWSER=1`` (CI sets it): then a missing browser fails every browser test.

The live server runs in a thread of this process, so the ``settings`` fixture reaches
it: its LLM gateway (used by "Suggest variables") points at a simulator, like the real
Celery worker process that runs the jobs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client

from extractor.llm.ratelimit import reset_limiters
from extractor.simulator import Simulator
from processing.tests.workers import Worker
from tests.browser.helpers import LAPTOP, BrowserErrors

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-long-passphrase-for-the-browser"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists() or os.environ.get("REQUIRE_BROWSER") == "1":
        return  # with REQUIRE_BROWSER=1 the `chromium` fixture fails instead
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH; "
        "REQUIRE_BROWSER=1 turns this skip into a failure)"
    )
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    # Slow enough that a job is still running when its page first renders, so the
    # page has to poll to see it finish; fast enough for a short test.
    sim = Simulator(latency=0.6)
    yield sim
    sim.stop()


@pytest.fixture
def live_llm(settings, simulator):
    """The live server's own gateway settings ("Suggest variables" runs in the request)."""
    settings.OPENAI_BASE_URL = simulator.base_url
    settings.OPENAI_API_KEY = "sk-test"
    settings.LLM_SIMULATED = True  # the pages say so, as in an install without a provider
    settings.LLM_REQUESTS_PER_MINUTE = 0
    settings.LLM_TOKENS_PER_MINUTE = 0
    settings.LLM_MAX_CONCURRENCY = 0
    settings.REDIS_KEY_PREFIX = f"test-browser-{uuid.uuid4().hex[:12]}"
    reset_limiters()
    yield settings
    reset_limiters()


@pytest.fixture
def worker(live_server, simulator, tmp_path) -> Iterator[Worker]:
    """A real Celery worker process on the test database (``live_server`` first: the
    test database must exist before its URL is handed over)."""
    started = Worker(
        simulator,
        f"browser-{uuid.uuid4().hex[:6]}@%h",
        tmp_path / "worker.log",
        env={"LLM_SIMULATED": "1"},
    ).start()
    yield started
    started.stop(timeout=5)  # the test waited for its jobs: nothing is left in flight


@pytest.fixture
def browser_context(chromium, live_server, live_llm, tmp_path, monkeypatch):
    """A fresh Chromium profile per test, laptop-sized, downloads accepted."""
    # Playwright's sync API runs an event loop in this thread; Django would then refuse
    # the ORM calls the test makes while the browser is open.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=LAPTOP,
            accept_downloads=True,
            base_url=live_server.url,
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()
            # While Playwright's loop runs, Django keeps this thread's connections in
            # a separate (context-local) slot: close them now, or they outlive the test
            # and PostgreSQL refuses to drop the test database.
            connections.close_all()


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def page(browser_context, browser_errors):
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.on("console", browser_errors.on_console)
    page.on("pageerror", browser_errors.on_page_error)
    return page


@pytest.fixture
def browser_user():
    return get_user_model().objects.create_user("carol", "carol@example.org", PASSWORD)


@pytest.fixture
def logged_in(browser_context, browser_user, live_server):
    """The browser carries a session of ``browser_user`` (no login page round trip)."""
    client = Client()
    client.force_login(browser_user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    browser_context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )
    return browser_user
