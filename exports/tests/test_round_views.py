"""Coding rounds in the wizard: creating one by the form, coding one's items one at a time
(blind), the reliability table, and adjudicating disagreements by the page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conftest import PASSWORD
from exports import rounds
from exports.models import Adjudication, CodingItem, CodingRound
from processing.models import Extraction
from projects.models import Document, ProjectMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(processed_project, user):
    make = get_user_model().objects.create_user
    carol, dave, erin, victor = (
        make(name, password=PASSWORD) for name in ("carol", "dave", "erin", "victor")
    )
    for member, role in ((carol, "coder"), (dave, "coder"), (erin, "coder"), (victor, "viewer")):
        ProjectMember.objects.create(project=processed_project, user=member, role=role)
    return {"alice": user, "carol": carol, "dave": dave, "erin": erin, "victor": victor}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _round(project, user, **options) -> CodingRound:
    options = {"coders": ["carol", "dave"], "variables": ["year", "stance"], "seed": 7} | options
    return rounds.round_create(project=project, user=user, **options)


def _url(project, coding_round=None, path="") -> str:
    base = f"/projects/{project.pk}/rounds/"
    return base if coding_round is None else f"{base}{coding_round.pk}/{path}"


def test_the_owner_creates_a_round_with_the_form(client_logged_in, processed_project, team):
    page = client_logged_in.get(_url(processed_project)).content.decode()
    assert 'name="coders" value="carol"' in page and 'name="coders" value="alice"' in page
    assert 'value="victor"' not in page  # a viewer does not code
    assert page.count('name="variables"') == 5 and page.count("checked") >= 6  # all + blind

    response = client_logged_in.post(
        _url(processed_project) + "new/",
        {
            "coders": ["carol", "dave"],
            "variables": ["year", "stance"],
            "sample_size": "4",
            "blind": "1",
            "adjudicator": "erin",
            "name": "Pilot",
        },
    )

    coding_round = CodingRound.objects.get(project=processed_project)
    assert response.status_code == 302
    assert response["Location"] == _url(processed_project, coding_round)
    assert (coding_round.name, coding_round.blind, coding_round.variables) == (
        "Pilot",
        True,
        ["year", "stance"],
    )
    assert len(coding_round.documents) == 4 and coding_round.adjudicator == team["erin"]
    assert CodingItem.objects.filter(round=coding_round).count() == 4 * 2 * 2
    listed = client_logged_in.get(_url(processed_project)).content.decode()
    assert "Pilot" in listed and "carol 0/8" in listed


def test_a_refused_round_shows_why_and_keeps_what_was_typed(
    client_logged_in, processed_project, team
):
    response = client_logged_in.post(
        _url(processed_project) + "new/",
        {"coders": ["carol"], "variables": ["year"], "sample_size": "3", "name": "<b>Mine</b>"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "A round needs at least two different coders." in page
    assert 'name="coders" value="carol" checked' in page
    assert 'name="variables" value="year" checked' in page
    assert 'name="variables" value="stance" >' in page  # unticked, as sent
    assert 'name="sample_size" type="number" min="1" step="1" value="3"' in page
    assert "&lt;b&gt;Mine&lt;/b&gt;" in page and "<b>Mine</b>" not in page
    assert 'name="blind" value="1" >' in page  # unticked, as sent
    bad_size = client_logged_in.post(
        _url(processed_project) + "new/",
        {"coders": ["carol", "dave"], "variables": ["year"], "sample_size": "a few"},
    )
    assert bad_size.status_code == 400 and "is not a whole number" in bad_size.content.decode()
    nul = client_logged_in.post(
        _url(processed_project) + "new/",
        {"coders": ["carol", "dave\x00"], "variables": ["year"], "name": "x"},
    )
    assert nul.status_code == 400 and "NUL character" in nul.content.decode()
    assert not CodingRound.objects.exists()


def test_a_coder_codes_blind_and_sees_the_others_only_after_saving(processed_project, user, team):
    coding_round = _round(processed_project, user)
    first = CodingItem.objects.filter(round=coding_round, coder=team["carol"]).first()
    assert first.variable_key == "year"
    Extraction.objects.filter(document=first.document, variable_key="year").update(value=1234)
    Document.objects.filter(pk=first.document_id).update(
        text="Signed in 2007. <script>alert(1)</script>"
    )
    carol, dave = _client(team["carol"]), _client(team["dave"])
    code_url = _url(processed_project, coding_round, "code/")

    blind = carol.get(code_url).content.decode()
    assert "Signed in 2007. &lt;script&gt;alert(1)&lt;/script&gt;" in blind
    assert "<script>alert(1)" not in blind
    assert "1234" not in blind and 'id="revealed"' not in blind
    assert "Model's value" not in blind and "dave" not in blind
    assert f'action="{code_url}{first.pk}/"' in blind and "Save and next" in blind

    dave_first = CodingItem.objects.get(
        round=coding_round, coder=team["dave"], document=first.document, variable_key="year"
    )
    rounds.item_code(item=dave_first, user=team["dave"], value=1999)
    saved = carol.post(f"{code_url}{first.pk}/", {"human_value": "2007"})
    assert saved.status_code == 302 and saved["Location"] == f"{code_url}?item={first.pk}"
    first.refresh_from_db()
    assert (first.coded, first.value) == (True, 2007)

    revealed = carol.get(saved["Location"]).content.decode()
    assert "1234" in revealed and 'id="revealed"' in revealed  # the model's value
    assert "<dt>dave</dt><dd>1999</dd>" in revealed  # and the other coder's
    assert "Next item" in revealed
    # The next item is another one, still blind.
    following = carol.get(code_url).content.decode()
    assert 'id="revealed"' not in following and "1 of 10 of your items coded" in following
    # Dave's own items are not carol's to open.
    assert carol.get(f"{code_url}?item={dave_first.pk}").status_code == 404
    assert dave.post(f"{code_url}{first.pk}/", {"human_value": "1"}).status_code == 404

    for item in CodingItem.objects.filter(round=coding_round, coder=team["carol"], coded=False):
        rounds.item_code(item=item, user=team["carol"], value=None)
    done = carol.get(code_url).content.decode()
    assert "Done: you have coded all your items." in done
    assert f'href="{_url(processed_project, coding_round)}"' in done


def test_a_refused_value_gives_400_with_the_message_and_keeps_the_item_open(
    processed_project, user, team
):
    coding_round = _round(processed_project, user)
    item = CodingItem.objects.filter(round=coding_round, coder=team["carol"]).first()
    url = _url(processed_project, coding_round, f"code/{item.pk}/")

    response = _client(team["carol"]).post(url, {"human_value": "soon"})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in page and "soon" in page
    assert 'value="soon"' in page  # what was typed, to mend
    item.refresh_from_db()
    assert (item.coded, item.value) == (False, None)


def test_the_round_page_shows_progress_and_reliability(
    client_logged_in, processed_project, user, team
):
    coding_round = _round(processed_project, user, variables=["stance"])
    model = dict(
        Extraction.objects.filter(variable_key="stance").values_list("document_id", "value")
    )
    for item in CodingItem.objects.filter(round=coding_round, coder=team["carol"]):
        rounds.item_code(item=item, user=team["carol"], value=model[item.document_id])

    owner_page = client_logged_in.get(_url(processed_project, coding_round)).content.decode()
    carol_page = _client(team["carol"]).get(_url(processed_project, coding_round)).content.decode()
    dave_page = _client(team["dave"]).get(_url(processed_project, coding_round)).content.decode()

    assert "carol: 5 of 5 coded" in owner_page and "dave: 0 of 5 coded" in owner_page
    assert 'id="round-reliability"' in owner_page and "<code>stance</code>" in owner_page
    assert "Code my items" not in owner_page  # alice codes nothing in this round
    assert "Code my items" not in carol_page and "You have coded all your items." in carol_page
    assert f'href="{_url(processed_project, coding_round, "code/")}"' in dave_page

    for item in CodingItem.objects.filter(round=coding_round, coder=team["dave"]):
        rounds.item_code(item=item, user=team["dave"], value=model[item.document_id])
    report = rounds.round_reliability(coding_round)[0]
    done = client_logged_in.get(_url(processed_project, coding_round)).content.decode()
    assert "Completed" in done
    assert f'<td class="num">{report["percent_agreement"]:.3f}</td>' in done
    expected_alpha = "—" if report["alpha"] is None else f"{report['alpha']:.3f}"
    assert f'<td class="num">{expected_alpha}</td>' in done


def test_who_may_do_what_on_the_pages(client_logged_in, processed_project, user, team, other_user):
    coding_round = _round(processed_project, user)
    viewer, erin, stranger = _client(team["victor"]), _client(team["erin"]), _client(other_user)
    round_url = _url(processed_project, coding_round)

    viewed = viewer.get(round_url)
    assert viewed.status_code == 200 and "Code my items" not in viewed.content.decode()
    assert viewer.get(round_url + "disagreements/").status_code == 200
    assert viewer.get(round_url + "code/").status_code == 403
    assert viewer.get(_url(processed_project)).status_code == 200
    assert "New round" not in viewer.get(_url(processed_project)).content.decode()
    refused = viewer.post(
        _url(processed_project) + "new/", {"coders": ["carol", "dave"], "variables": ["year"]}
    )
    assert refused.status_code == 403
    assert _client(team["carol"]).post(_url(processed_project) + "new/", {}).status_code == 403
    # A coder of the project who is not one of the round's, and the owner, code nothing here.
    assert erin.get(round_url + "code/").status_code == 404
    assert client_logged_in.get(round_url + "code/").status_code == 404
    for path in ("", "code/", "disagreements/"):
        assert stranger.get(round_url + path).status_code == 404
    assert stranger.get(_url(processed_project)).status_code == 404
    assert stranger.post(round_url + "adjudicate/", {}).status_code == 404
    assert CodingRound.objects.count() == 1


def _plant_disagreement(coding_round, team) -> tuple[int, str]:
    """Carol gives the model's values, dave the same but for the first unit's stance."""
    model = {
        (e.document_id, e.variable_key): e.value
        for e in Extraction.objects.filter(schema_version=coding_round.schema_version)
    }
    document_id = coding_round.documents[0]
    for name in ("carol", "dave"):
        for item in CodingItem.objects.filter(round=coding_round, coder=team[name]):
            value = model[(item.document_id, item.variable_key)]
            if name == "dave" and (item.document_id, item.variable_key) == (document_id, "stance"):
                value = "oppose" if value != "oppose" else "support"
            rounds.item_code(item=item, user=team[name], value=value)
    return document_id, model[(document_id, "stance")]


def test_adjudication_on_the_page_becomes_the_cell_s_human_value(
    client_logged_in, processed_project, user, team
):
    coding_round = _round(processed_project, user)
    document_id, model_value = _plant_disagreement(coding_round, team)
    final = "neutral" if model_value != "neutral" else "support"
    url = _url(processed_project, coding_round, "disagreements/")

    page = client_logged_in.get(url).content.decode()
    assert page.count('<article class="card"') == 1
    assert f'id="unit-{document_id}-stance"' in page
    assert f'action="{_url(processed_project, coding_round, "adjudicate/")}"' in page
    coder_view = _client(team["carol"]).get(url).content.decode()
    assert 'id="unit-' in coder_view and "adjudicate/" not in coder_view

    forbidden = _client(team["carol"]).post(
        _url(processed_project, coding_round, "adjudicate/"),
        {"document": document_id, "variable": "stance", "human_value": final},
    )
    assert forbidden.status_code == 403
    bad = client_logged_in.post(
        _url(processed_project, coding_round, "adjudicate/"),
        {"document": document_id, "variable": "stance", "human_value": "maybe", "note": "Hm."},
    )
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    assert "Hm.</textarea>" in bad.content.decode()
    elsewhere = client_logged_in.post(
        _url(processed_project, coding_round, "adjudicate/"),
        {"document": document_id, "variable": "nope", "human_value": final},
    )
    assert elsewhere.status_code == 400
    assert "Choose a unit of this round." in elsewhere.content.decode()
    assert not Adjudication.objects.exists()

    decided = client_logged_in.post(
        _url(processed_project, coding_round, "adjudicate/"),
        {"document": document_id, "variable": "stance", "human_value": final, "note": "So."},
        follow=True,
    )

    assert decided.status_code == 200
    assert "Adjudicated: stance" in decided.content.decode()
    assert decided.redirect_chain[0][0] == f"{url}#unit-{document_id}-stance"
    cell = Extraction.objects.get(
        schema_version=coding_round.schema_version, document_id=document_id, variable_key="stance"
    )
    assert (cell.corrected, cell.human_value, cell.value) == (True, final, model_value)
    assert Adjudication.objects.get().note == "So."
    assert 'badge-ok">adjudicated' in decided.content.decode()


def test_the_results_page_links_to_the_rounds(client_logged_in, processed_project):
    page = client_logged_in.get(f"/projects/{processed_project.pk}/results/").content.decode()
    assert f'href="/projects/{processed_project.pk}/rounds/">Coding rounds</a>' in page
