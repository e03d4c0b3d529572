"""A blind coding round in the browser: the owner creates it by the form, two coders code
their items in their own browser sessions (the model's value hidden until each has saved
theirs), the owner adjudicates the one disagreement, and the round shows its alpha."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from playwright.sync_api import expect

from exports.models import Adjudication, CodingItem, CodingRound
from processing import jobs
from processing.engine import job_run
from processing.models import Extraction
from processing.tests.conftest import make_project
from projects.models import ProjectMember
from tests.browser.conftest import CHROMIUM_ARGS, PASSWORD
from tests.browser.helpers import LAPTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLANTED_YEAR = 1234  # the model's year for the first document: not in any text
YEAR_LABEL = "Value (whole number; empty for none)"


@pytest.fixture
def chromium_browser(chromium, live_server, live_llm, monkeypatch) -> Iterator:
    """One Chromium with a context per person (the conftest's persistent context holds
    one session only)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see conftest.browser_context
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


@pytest.fixture
def session(chromium_browser, live_server, browser_errors):
    """``session(user)``: a page in a browser context of its own, logged in as ``user``."""

    def open_as(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context = chromium_browser.new_context(viewport=LAPTOP, base_url=live_server.url)
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.on("console", browser_errors.on_console)
        page.on("pageerror", browser_errors.on_page_error)
        return page

    return open_as


@pytest.fixture
def team(live_llm):
    make = get_user_model().objects.create_user
    owner = make("alice", "alice@example.org", PASSWORD)
    project = make_project(owner, name="Treaties coded twice")
    job = jobs.job_create(project=project, user=owner, kind="full")
    job_run(job_id=job.pk, hostname="browser-test")
    coders = {}
    for name in ("carol", "dave"):
        coders[name] = make(name, f"{name}@example.org", PASSWORD)
        ProjectMember.objects.create(project=project, user=coders[name], role="coder")
    first = Extraction.objects.filter(document__project=project, variable_key="year")
    first.filter(document_id=first.order_by("document_id").first().document_id).update(
        value=PLANTED_YEAR
    )
    return project, owner, coders


def _model_values(project) -> dict:
    return {
        (e.document_id, e.variable_key): e.value
        for e in Extraction.objects.filter(document__project=project)
    }


def _code_all(page, project, coding_round, answer) -> None:
    """Code every open item through the pages: blind first, then the reveal, then on."""
    page.goto(f"/projects/{project.pk}/rounds/{coding_round.pk}/code/")
    card = page.locator("#round-item")
    for _ in range(20):
        # The next item (or the end), once loaded: blind, nothing of the others shown yet.
        expect(card.locator("#revealed")).to_have_count(0)
        if page.locator("#coding-done").count():
            return
        action = card.locator("form").get_attribute("action")
        item = CodingItem.objects.get(pk=int(re.search(r"/code/(\d+)/$", action).group(1)))
        value = answer(item)
        if item.document_id == coding_round.documents[0]:
            expect(card).not_to_contain_text(str(PLANTED_YEAR))
        card.get_by_label(YEAR_LABEL).fill("" if value is None else str(value))
        card.get_by_role("button", name="Save and next").click()
        expect(card.locator("#revealed")).to_be_visible()  # the model's value, now
        if item.document_id == coding_round.documents[0]:
            expect(card.locator("#revealed")).to_contain_text(str(PLANTED_YEAR))
        following = card.get_by_role("button", name="Next item →")
        if following.count():
            following.click()
        else:
            page.goto(f"/projects/{project.pk}/rounds/{coding_round.pk}/code/")
    raise AssertionError("more items than expected")


def test_a_blind_round_is_coded_in_two_browsers_and_adjudicated(session, browser_errors, team):
    project, owner, coders = team
    owner_page = session(owner)
    owner_page.goto(f"/projects/{project.pk}/results/")
    owner_page.get_by_role("link", name="Coding rounds").click()
    form = owner_page.locator("form[action$='/rounds/new/']")
    form.get_by_label("carol").check()
    form.get_by_label("dave").check()
    form.get_by_label("Documents (sample size)").fill("5")
    for key in ("country", "signed_on", "parties", "stance"):
        form.get_by_label(key).uncheck()
    expect(form.get_by_label("Blind:")).to_be_checked()
    form.get_by_role("button", name="Create the round").click()
    expect(owner_page.locator(".messages")).to_contain_text("Round created: 5 document(s)")
    coding_round = CodingRound.objects.get(project=project)
    assert (coding_round.blind, coding_round.variables) == (True, ["year"])

    model = _model_values(project)
    first = coding_round.documents[0]

    def carols(item):
        return model[(item.document_id, item.variable_key)]

    def daves(item):
        value = model[(item.document_id, item.variable_key)]
        if item.document_id == first:
            return 1999  # the planted disagreement
        return value

    carol_page, dave_page = session(coders["carol"]), session(coders["dave"])
    _code_all(carol_page, project, coding_round, carols)
    _code_all(dave_page, project, coding_round, daves)
    expect(dave_page.locator("#coding-done")).to_contain_text("the round is completed")
    coding_round.refresh_from_db()
    assert coding_round.status == CodingRound.Status.COMPLETED

    owner_page.goto(f"/projects/{project.pk}/rounds/{coding_round.pk}/")
    expect(owner_page.locator("#round-status")).to_have_text("Completed")
    owner_page.get_by_role("link", name="1 unit where the coders disagree").click()
    unit = owner_page.locator(f"#unit-{first}-year")
    expect(owner_page.locator("article.card")).to_have_count(1)
    expect(unit).to_contain_text(str(PLANTED_YEAR))  # the model's value beside the coders'
    unit.get_by_label(YEAR_LABEL).fill("1999")
    unit.get_by_label("Note (why)").fill("The text says so.")
    unit.get_by_role("button", name="Adjudicate").click()
    expect(owner_page.locator(".messages")).to_contain_text("Adjudicated: year")
    expect(unit).to_contain_text("adjudicated")
    assert Adjudication.objects.get(round=coding_round).value == 1999
    cell = Extraction.objects.get(document_id=first, variable_key="year")
    assert (cell.corrected, cell.human_value, cell.value) == (True, 1999, PLANTED_YEAR)

    owner_page.get_by_role("link", name="← The round").click()
    year_row = owner_page.locator("#round-reliability tbody tr", has_text="year")
    expect(year_row.locator("td").nth(2)).to_have_text(re.compile(r"^-?\d\.\d{3}$"))  # alpha
    expect(year_row.locator("td").nth(4)).to_have_text("0.800")  # 4 of 5 units agree
    # The model against the adjudicated values: it said 1234 where 1999 was decided.
    expect(year_row.locator("td").nth(8)).to_contain_text(re.compile(r"^0\.800 .*n 5"))
    browser_errors.assert_none()
