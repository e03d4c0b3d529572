"""A phone-sized window (390x844): the page body never scrolls sideways; wide tables
scroll inside their ``.table-wrap``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from processing.tests.conftest import VARIABLES, make_project
from projects.services import document_create_from_text
from tests.browser.helpers import PHONE, page_overflows, screenshot, wide_elements

pytestmark = pytest.mark.browser

LONG_NAME = "Minutes-of-the-plenary-session-on-the-ratification-of-the-agreement-2019-final.pdf"


def test_the_wizard_fits_a_phone_screen(page, browser_errors, logged_in):
    project = make_project(logged_in, variables=VARIABLES, name="Treaties on the phone")
    document_create_from_text(project=project, name=LONG_NAME, text="Signed in 2019 by 12 states.")
    page.set_viewport_size(PHONE)

    page.goto(f"/projects/{project.pk}/documents/")
    stepper = page.locator("ol.stepper")
    steps = stepper.get_by_role("link")
    expect(steps).to_have_count(5)
    # On a phone the stepper is one row that scrolls sideways inside itself (five
    # stacked cards would push the page's content below the fold).
    box = stepper.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    tops = {round(steps.nth(index).bounding_box()["y"]) for index in range(5)}
    assert len(tops) == 1, tops  # one row
    current = page.locator("ol.stepper [aria-current=step]")
    current.scroll_into_view_if_needed()
    expect(current).to_be_in_viewport()
    rows = page.locator("#document-list tbody tr")
    expect(rows).to_have_count(6)
    rows.last.scroll_into_view_if_needed()
    expect(page.locator("#document-list .table-wrap")).to_be_visible()
    screenshot(page, "phone-01-documents")
    assert not page_overflows(page), f"the documents page scrolls sideways: {wide_elements(page)}"

    pages = {
        "variables": f"/projects/{project.pk}/variables/",
        "review": f"/projects/{project.pk}/review/",
        "processing": f"/projects/{project.pk}/processing/",
        "results": f"/projects/{project.pk}/results/",
        "projects": "/projects/",
    }
    overflowing = []
    for number, (name, url) in enumerate(pages.items(), start=2):
        page.goto(url)
        screenshot(page, f"phone-0{number}-{name}")
        if page_overflows(page):
            overflowing.append((name, wide_elements(page)))
    assert not overflowing, f"these pages scroll sideways on a phone: {overflowing}"
    browser_errors.assert_none()
