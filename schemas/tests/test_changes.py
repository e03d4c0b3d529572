"""What a version changes for the model, variable by variable: API and step 3."""

from __future__ import annotations

import pytest

from projects.models import Project
from schemas import variables as variable_service
from schemas.models import Variable
from schemas.versions import schema_confirm

pytestmark = pytest.mark.django_db


def _add(project, key, **fields):
    data = {"key": key, "type": "text", "instructions": f"The {key}."} | fields
    return variable_service.variable_create(project=project, data=data)


@pytest.fixture
def versioned(user):
    project = Project.objects.create(owner=user, name="Treaties", instructions="Trade texts.")
    for key in ("country", "year", "stance"):
        _add(project, key)
    schema_confirm(project=project, user=user)
    return project


def _changes(api, project, number: int) -> dict:
    response = api.get(f"/api/v1/projects/{project.pk}/schema/versions/{number}/")
    assert response.status_code == 200
    return response.json()["changes"]


def test_the_first_version_adds_every_variable(api, versioned):
    assert _changes(api, versioned, 1) == {
        "added": ["country", "year", "stance"],
        "removed": [],
        "changed": [],
        "unchanged": [],
    }


def test_one_changed_instruction_leaves_the_rest_unchanged(api, user, versioned):
    year = Variable.objects.get(project=versioned, key="year")
    variable_service.variable_update(variable=year, data={"instructions": "Year of signature."})
    variable_service.variable_delete(variable=Variable.objects.get(project=versioned, key="stance"))
    _add(versioned, "parties", type="integer")
    schema_confirm(project=versioned, user=user)
    assert _changes(api, versioned, 2) == {
        "added": ["parties"],
        "removed": ["stance"],
        "changed": ["year"],
        "unchanged": ["country"],
    }


def test_synonyms_are_not_a_change_the_model_sees(api, user, versioned):
    _add(versioned, "region", type="category", allowed_values=["North", "South"])
    schema_confirm(project=versioned, user=user)
    region = Variable.objects.get(project=versioned, key="region")
    variable_service.variable_update(variable=region, data={"synonyms": {"North": ["Nord"]}})
    variable_service.variable_update(variable=region, data={"label": "Area of the country"})
    schema_confirm(project=versioned, user=user)
    changes = _changes(api, versioned, 3)
    assert changes["changed"] == ["region"]  # the label, which the model reads
    assert changes["unchanged"] == ["country", "year", "stance"]


def test_new_project_instructions_change_every_variable(api, user, versioned):
    versioned.instructions = "Trade and investment texts."
    versioned.save()
    schema_confirm(project=versioned, user=user)
    changes = _changes(api, versioned, 2)
    assert changes["changed"] == ["country", "year", "stance"] and changes["unchanged"] == []


def test_step_3_shows_what_confirming_would_change(client_logged_in, versioned):
    year = Variable.objects.get(project=versioned, key="year")
    variable_service.variable_update(variable=year, data={"required": True})
    page = client_logged_in.get(f"/projects/{versioned.pk}/review/").content.decode()
    listed = page[page.index('id="draft-changes"') :]
    listed = listed[: listed.index("</ul>")]
    assert "changed <code>year</code>" in listed
    assert "unchanged: <code>country</code>, <code>stance</code>" in listed


def test_a_variable_whose_synonyms_alone_differ_is_unchanged():
    from schemas.changes import variable_changes

    old = [{"key": "region", "type": "category", "allowed_values": ["North"]}]
    new = [dict(old[0], synonyms={"North": ["Nord"]})]
    changes = variable_changes(old=old, new=new, old_shared=("s", "u"), new_shared=("s", "u"))
    assert (changes["changed"], changes["unchanged"]) == ([], ["region"])
