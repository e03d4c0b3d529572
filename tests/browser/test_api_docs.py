"""The Swagger UI page renders and works under the site's Content-Security-Policy (a
violation is a console error)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_swagger_ui_runs_under_the_content_security_policy(page, logged_in, browser_errors):
    response = page.goto("/api/docs/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    assert "unsafe" not in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 30

    operation = page.locator(".opblock-get", has_text="/api/v1/projects/").first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    # The session's answer, shown by Swagger UI (its fetch passed connect-src).
    operation.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    page.locator("button.authorize").click()
    page.locator(".dialog-ux").wait_for()

    browser_errors.assert_none()
