"""The step-2 editor with the keyboard only: add a category variable, move it up, edit
it. Focus must stay visible on the way, and every field must have a label."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from projects.models import Project
from schemas.models import Variable
from tests.browser.helpers import unlabelled_fields

pytestmark = pytest.mark.browser

FOCUS_STYLE_JS = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, label: el.getAttribute('aria-label') || el.textContent.trim(),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}
"""


def _focus_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until ``selector`` has focus; if it is behind, come back with Shift+Tab.

    After an HTMX swap removes the focused element, where the next Tab starts is up to
    the browser, so the search goes both ways.
    """
    for key in ("Tab", "Shift+Tab"):
        for _ in range(limit):
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                _assert_focus_visible(page)
                return
            page.keyboard.press(key)
    raise AssertionError(f"{selector} never got the focus with Tab or Shift+Tab")


def _assert_focus_visible(page) -> None:
    focus = page.evaluate(FOCUS_STYLE_JS)
    assert focus["outline"] != "none" and focus["width"] > 0, f"focus not visible on {focus}"


def _assert_every_field_labelled(page) -> None:
    unlabelled = unlabelled_fields(page)
    assert not unlabelled, "fields without a label:\n" + "\n".join(unlabelled)


def test_the_variable_editor_works_with_the_keyboard_alone(page, browser_errors, logged_in):
    project = Project.objects.create(owner=logged_in, name="Interviews")
    Variable.objects.create(
        project=project, key="country", type="text", instructions="The country.", position=0
    )
    page.goto(f"/projects/{project.pk}/variables/")
    _assert_every_field_labelled(page)
    keyboard = page.keyboard

    # Add a category variable.
    _focus_to(page, "#id_key-new")
    keyboard.type("stance")
    keyboard.press("Tab")
    _focus_to(page, "#id_label-new")
    keyboard.type("Stance")
    keyboard.press("Tab")
    _focus_to(page, "#id_type-new")
    for _ in range(10):
        if page.locator("#id_type-new").input_value() == "category":
            break
        keyboard.press("ArrowDown")
    expect(page.locator("#id_type-new")).to_have_value("category")
    keyboard.press("Tab")
    _focus_to(page, "#id_instructions-new")
    keyboard.type("Where the speaker stands on the agreement.")
    keyboard.press("Tab")
    _focus_to(page, "#id_allowed_values-new")  # shown once the type is a category
    for index, value in enumerate(("support", "oppose", "neutral")):
        if index:
            keyboard.press("Enter")
        keyboard.type(value)
    keyboard.press("Tab")
    _focus_to(page, "#id_required-new")
    keyboard.press("Space")
    expect(page.locator("#id_required-new")).to_be_checked()
    keyboard.press("Tab")
    _focus_to(page, "#add-title ~ form button[type=submit]")
    keyboard.press("Enter")

    items = page.locator(".variable-list > li")
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text("stance")
    stance = Variable.objects.get(project=project, key="stance")
    assert (stance.type, stance.allowed_values, stance.required) == (
        "category",
        ["support", "oppose", "neutral"],
        True,
    )

    # Move it up with the ↑ button.
    _focus_to(page, 'button[aria-label="Move stance up"]')
    keyboard.press("Enter")
    expect(items.first).to_contain_text("stance")
    assert list(Variable.objects.filter(project=project).values_list("key", flat=True)) == [
        "stance",
        "country",
    ]

    # Open Edit, change the label, save.
    _focus_to(page, f'#variable-{stance.pk} a[href$="/variables/{stance.pk}/edit/"]')
    keyboard.press("Enter")
    label = page.locator(f"#id_label-{stance.pk}")
    expect(label).to_have_value("Stance")
    _assert_every_field_labelled(page)
    _focus_to(page, f"#id_label-{stance.pk}")
    keyboard.press("ControlOrMeta+a")
    keyboard.type("Stance on the agreement")
    _focus_to(page, f"#variable-{stance.pk} button[type=submit]")
    keyboard.press("Enter")
    expect(page.get_by_text("Variable “stance” saved.")).to_be_visible()
    expect(items.first).to_contain_text("Stance on the agreement")
    stance.refresh_from_db()
    assert stance.label == "Stance on the agreement"
    assert stance.allowed_values == ["support", "oppose", "neutral"]

    _assert_every_field_labelled(page)
    browser_errors.assert_none()
