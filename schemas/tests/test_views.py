"""Steps 2 and 3 wizard pages: the variable editor (HTMX and plain), review, confirm."""

from __future__ import annotations

import pytest

from projects.services import document_create_from_text
from schemas.models import SchemaVersion, Variable

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _add(client, project, **fields):
    data = {
        "key": "country",
        "label": "",
        "type": "text",
        "instructions": "The country named.",
        "allowed_values": "",
    } | fields
    return client.post(f"/projects/{project.pk}/variables/add/", data, **HTMX)


def test_editor_shows_the_empty_state(client_logged_in, project):
    response = client_logged_in.get(f"/projects/{project.pk}/variables/")
    assert response.status_code == 200
    assert b"No variables yet" in response.content


def test_add_variable_swaps_the_editor(client_logged_in, project):
    response = _add(client_logged_in, project)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<div id="editor">' in content and "<html" not in content
    assert "country" in content
    assert "What the model sees" in content
    assert Variable.objects.get(project=project).label == "Country"


def test_add_variable_errors_stay_next_to_the_fields(client_logged_in, project):
    response = _add(client_logged_in, project, key="Bad Key", type="category")
    assert response.status_code == 400
    content = response.content.decode()
    assert "not a valid key" in content
    assert "at least one allowed value" in content
    assert not Variable.objects.exists()


def test_allowed_values_left_in_a_hidden_field_are_ignored(client_logged_in, project):
    _add(client_logged_in, project, type="integer", allowed_values="stale\nvalues")
    assert Variable.objects.get().allowed_values == []


def test_edit_delete_and_move(client_logged_in, project):
    for key in ("first", "second"):
        _add(client_logged_in, project, key=key)
    first, second = Variable.objects.order_by("position")
    url = f"/projects/{project.pk}/variables/{first.pk}/"
    assert client_logged_in.get(url + "edit/", **HTMX).status_code == 200
    response = client_logged_in.post(
        url + "edit/",
        {
            "key": "first",
            "label": "First one",
            "type": "boolean",
            "instructions": "Yes if so.",
            "allowed_values": "",
        },
        **HTMX,
    )
    assert response.status_code == 200
    first.refresh_from_db()
    assert (first.label, first.type) == ("First one", "boolean")

    client_logged_in.post(url + "move/", {"direction": "down"}, **HTMX)
    assert list(Variable.objects.order_by("position").values_list("key", flat=True)) == [
        "second",
        "first",
    ]
    client_logged_in.post(f"/projects/{project.pk}/variables/{second.pk}/delete/", **HTMX)
    assert list(Variable.objects.values_list("key", flat=True)) == ["first"]


def test_the_edit_page_on_its_own_is_a_plain_form(client_logged_in, project):
    variable = Variable.objects.create(
        project=project, key="year", type="integer", instructions="The year.", position=0
    )
    url = f"/projects/{project.pk}/variables/{variable.pk}/edit/"

    page = client_logged_in.get(url).content.decode()  # opened in a new tab
    saved = client_logged_in.post(
        url, {"key": "signed_year", "type": "integer", "instructions": "The year of signature."}
    )

    assert "hx-post" not in page.split('class="variable-form"')[1].split(">")[0]
    assert saved.status_code == 200 and b"<html" in saved.content
    variable.refresh_from_db()
    assert variable.key == "signed_year"


def test_editor_works_without_htmx(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/variables/add/",
        {"key": "year", "type": "integer", "instructions": "Year of signature."},
    )
    assert response.status_code == 200
    assert b"<html" in response.content
    assert Variable.objects.filter(key="year").exists()


def test_adding_ticked_suggestions(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/variables/suggestions/add/",
        {
            "pick": ["0", "1"],
            "s0-key": "stance",
            "s0-label": "Stance",
            "s0-type": "category",
            "s0-instructions": "Position taken.",
            "s0-allowed_values": "for\nagainst",
            "s1-key": "Bad Key",
            "s1-type": "text",
            "s1-instructions": "x",
            "s2-key": "unticked",
            "s2-type": "text",
            "s2-instructions": "y",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert list(Variable.objects.values_list("key", flat=True)) == ["stance"]
    content = response.content.decode()
    assert "Not added" in content
    # The refused one stays in the panel as it was edited, and so does the unticked one;
    # the added one goes.
    panel = content[content.index('<div id="suggestions" hx-swap-oob="true"') :]
    assert 'value="Bad Key"' in panel and 'role="alert"' in panel
    assert 'value="unticked"' in panel and 'value="stance"' not in panel


def test_a_malformed_suggestion_field_is_ignored_not_a_500(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/variables/suggestions/add/",
        {"pick": ["0"], "s0-key": "year", "s0-type": "integer", "s0-instructions": "Year.",
         "s²-key": "odd", "s-key": "odder"},
        **HTMX,
    )  # fmt: skip

    assert response.status_code == 200
    assert list(Variable.objects.filter(project=project).values_list("key", flat=True)) == ["year"]


def test_the_suggestions_panel_closes_once_everything_is_added(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/variables/suggestions/add/",
        {"pick": ["0"], "s0-key": "year", "s0-type": "integer", "s0-instructions": "Year."},
        **HTMX,
    )

    assert '<div id="suggestions" hx-swap-oob="true"></div>' in response.content.decode()
    assert Variable.objects.filter(project=project, key="year").exists()


def test_review_page_shows_codebook_prompt_and_estimates(client_logged_in, project):
    document_create_from_text(project=project, name="Treaty", text="Signed in <Lisbon>.")
    _add(client_logged_in, project, key="stance", type="category", allowed_values="for\nagainst")
    response = client_logged_in.get(f"/projects/{project.pk}/review/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Codebook" in content and "stance" in content
    assert "Signed in &lt;Lisbon&gt;." in content
    assert "Confirm as version 1" in content
    # The estimate of the next run comes from processing, loaded into the page.
    estimate_url = f"/projects/{project.pk}/processing/next-run-estimate/"
    assert f'hx-get="{estimate_url}"' in content
    estimate = client_logged_in.get(estimate_url).content.decode()
    assert "estimated cost" in estimate and "Full corpus: 1 document to run" in estimate


def test_confirm_and_restore_from_the_pages(client_logged_in, project):
    _add(client_logged_in, project)
    response = client_logged_in.post(f"/projects/{project.pk}/review/confirm/", {"note": "v1"})
    assert response.status_code == 302
    assert SchemaVersion.objects.get().note == "v1"
    _add(client_logged_in, project, key="extra")
    client_logged_in.post(f"/projects/{project.pk}/review/confirm/")
    assert SchemaVersion.objects.count() == 2
    page = client_logged_in.get(f"/projects/{project.pk}/review/").content.decode()
    assert "added <code>extra</code>" in page
    client_logged_in.post(f"/projects/{project.pk}/review/versions/1/restore/")
    assert list(Variable.objects.values_list("key", flat=True)) == ["country"]


def test_confirm_with_no_variables_explains(client_logged_in, project):
    response = client_logged_in.post(f"/projects/{project.pk}/review/confirm/", follow=True)
    assert b"Add at least one variable" in response.content
    assert not SchemaVersion.objects.exists()
