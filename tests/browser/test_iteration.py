"""Iterating on the schema in the wizard: step 3 says what a reworded variable will cost
before confirming, step 4 reuses the carried values, step 5 compares the versions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from processing import jobs
from processing.engine import job_run
from processing.tests.conftest import make_project
from schemas.models import Variable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reworded_variable_is_confirmed_run_alone_and_compared(
    page, browser_errors, logged_in, live_llm
):
    project = make_project(logged_in, name="Treaties iterated")
    first = jobs.job_create(project=project, user=logged_in, kind="full")
    job_run(job_id=first.pk, hostname="browser-test")
    Variable.objects.filter(project=project, key="year").update(
        instructions="The year the agreement was signed, as four digits."
    )

    page.goto(f"/projects/{project.pk}/review/")
    expect(page.locator("#draft-changes")).to_contain_text("changed year")
    full = page.locator("#next-run-full")
    # Five documents asked for one variable each; the four others' values are reused.
    expect(full).to_contain_text("Full corpus: 5 documents to run")
    expect(full.locator(".stat", has_text="values reused")).to_contain_text("20")
    expect(full.locator(".stat", has_text="model calls")).to_contain_text("5")
    page.get_by_role("button", name="Confirm as version 2").click()

    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/processing/$"))
    expect(page.locator("#carried-values")).to_contain_text("20")
    second = jobs.job_create(project=project, user=logged_in, kind="full")
    job_run(job_id=second.pk, hostname="browser-test")
    second.refresh_from_db()
    assert second.llm_calls == 5

    page.goto(f"/projects/{project.pk}/results/compare/")
    table = page.locator("#compare-variables")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator("tbody tr", has_text="country")).to_contain_text("0 of 5")
    browser_errors.assert_none()
