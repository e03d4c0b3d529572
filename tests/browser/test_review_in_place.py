"""Reviewing values without reloads: a correction in the results page's panel updates
the agreement table in place, and the review queue walks values blind, by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from processing import jobs
from processing.engine import job_run
from processing.models import Extraction
from processing.tests.conftest import make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def results_project(logged_in, live_llm):
    project = make_project(logged_in, name="Treaties reviewed")
    job = jobs.job_create(project=project, user=logged_in, kind="full")
    job_run(job_id=job.pk, hostname="browser-test")
    return project


def test_a_correction_updates_the_agreement_table_without_a_reload(
    page, browser_errors, results_project
):
    page.goto(f"/projects/{results_project.pk}/results/")
    page.evaluate("window.__sameDocument = true")
    year_row = page.locator("#agreement tbody tr", has_text="year")
    expect(year_row.locator("td").nth(2)).to_have_text("0")  # nothing checked yet

    extraction = Extraction.objects.filter(variable_key="year").order_by("document_id").first()
    page.locator(f"a[href$='/results/values/{extraction.pk}/']").click()
    panel = page.locator("#cell-detail")
    expect(panel.get_by_role("button", name="The value is right")).to_be_visible()
    panel.get_by_label("Value (whole number; empty for none)").fill("1887")
    panel.get_by_role("button", name="Save correction").click()
    expect(panel).to_contain_text("Correction saved")

    expect(year_row.locator("td").nth(2)).to_have_text("1")  # checked, in place
    expect(year_row.locator("td").nth(3)).to_have_text("0%")  # the model said otherwise
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    browser_errors.assert_none()


def test_the_blind_queue_hides_the_model_until_the_answer_is_saved(
    page, browser_errors, results_project
):
    years = Extraction.objects.filter(variable_key="year")
    years.update(status="ok")  # none flagged: the queue starts with the first document
    extraction = years.order_by("document_id").first()
    Extraction.objects.filter(pk=extraction.pk).update(value=1234)
    page.goto(f"/projects/{results_project.pk}/review-queue/?variable=year")
    page.evaluate("window.__sameDocument = true")
    queue = page.locator("#queue-item")
    expect(queue).to_contain_text("0 of 5 checked")
    expect(queue).not_to_contain_text("1234")
    page.keyboard.press("c")  # to the answer field
    page.keyboard.type("1999")
    queue.get_by_role("button", name="Save my answer").click()
    expect(queue).to_contain_text("1234")  # revealed after the entry
    expect(queue).to_contain_text("Your blind answer")
    _htmx_settled(page)
    queue.get_by_role("button", name="Keep my answer").click()
    expect(queue).to_contain_text("1 of 5 checked")
    _htmx_settled(page)
    queue.locator("#queue-progress").click()  # the swapped-in item has the page
    page.keyboard.press("?")
    expect(queue.locator("[data-key-help]")).to_have_js_property("open", True)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    extraction.refresh_from_db()
    assert (extraction.blind_value, extraction.final_value, extraction.value) == (1999, 1999, 1234)
    browser_errors.assert_none()


def _htmx_settled(page) -> None:
    """Wait until htmx has no request, swap or settle under way, so that a click meets
    content htmx has taken over and a key the item that stays (a click on a form htmx
    has not processed yet would be a plain submit, and a reload)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
