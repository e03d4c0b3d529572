"""A double click on "Run sample" sends one request and starts one job; the button shows
it is busy meanwhile. (The server refuses a second run in any case:
processing/tests/test_one_run.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from processing.models import ProcessingJob
from processing.tests.conftest import make_project

pytestmark = pytest.mark.browser

# Runs after app.js's own submit handling (registered later, same phase): what the
# button looked like once the form was sent, kept across the navigation that follows.
RECORD_BUTTON_STATE = """() => document.addEventListener("submit", (event) => {
    const button = event.target.querySelector("button");
    setTimeout(() => sessionStorage.setItem(
        "run-button", JSON.stringify([button.disabled, button.getAttribute("aria-busy")])
    ), 0);
})"""


def test_a_double_click_on_run_starts_one_job(page, browser_errors, logged_in):
    project = make_project(logged_in)
    page.goto(f"/projects/{project.pk}/processing/")
    starts = []

    def count_start(request) -> None:
        if request.method == "POST" and request.url.endswith("/processing/start/"):
            starts.append(request.url)

    page.on("request", count_start)
    page.evaluate(RECORD_BUTTON_STATE)

    page.get_by_role("button", name="Run sample with version 1").dblclick()

    expect(page.get_by_role("heading", name="Sample run")).to_be_visible()
    job = ProcessingJob.objects.get()
    assert page.url.endswith(f"/processing/jobs/{job.pk}/")
    assert len(starts) == 1
    assert page.evaluate("sessionStorage.getItem('run-button')") == '[true,"true"]'
    assert browser_errors.messages == []
