"""Step 2: an edit the server refuses stays where it was opened, with what was typed and
the reason, and can be corrected and saved without reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from projects.models import Project
from schemas.models import Variable

pytestmark = pytest.mark.browser


def test_a_refused_edit_can_be_corrected_in_place(page, browser_errors, logged_in):
    project = Project.objects.create(owner=logged_in, name="Interviews")
    country = Variable.objects.create(
        project=project, key="country", type="text", instructions="The country.", position=0
    )
    Variable.objects.create(
        project=project, key="year", type="integer", instructions="The year.", position=1
    )
    page.goto(f"/projects/{project.pk}/variables/")
    row = page.locator(f"#variable-{country.pk}")
    items = page.locator(".variable-list > li")

    row.get_by_role("button", name="Edit").click()
    key = page.locator(f"#id_key-{country.pk}")
    key.fill("BAD KEY")
    page.locator(f"#id_instructions-{country.pk}").fill("The country that signed.")
    row.get_by_role("button", name="Save").click()

    expect(row.get_by_text("is not a valid key")).to_be_visible()
    expect(key).to_have_value("BAD KEY")
    expect(page.locator(f"#id_instructions-{country.pk}")).to_have_value("The country that signed.")
    expect(items).to_have_count(2)  # the rest of the editor is still there

    key.fill("nation")
    row.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Variable “nation” saved.")).to_be_visible()
    expect(items.first).to_contain_text("nation")
    country.refresh_from_db()
    assert (country.key, country.instructions) == ("nation", "The country that signed.")
    # Chromium logs the refused save (HTTP 400) as a failed load; anything else is an error,
    # such as HTMX finding no target to swap into.
    assert [m for m in browser_errors.messages if "status of 400" not in m] == []
