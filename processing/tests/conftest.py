"""Step 4 fixtures: a confirmed schema over a few documents, and the simulator."""

from __future__ import annotations

import pytest

from projects.services import document_create_from_text
from schemas.models import Variable
from schemas.versions import schema_confirm

TEXTS = [
    "The Treaty of Lisbon was signed on 13 December 2007 by 27 member states. "
    "France supported the reform. The treaty entered into force in 2009.",
    "Le traité a été signé à Nice le 26 février 2001 par 15 États. "
    "L'Allemagne était favorable à la réforme institutionnelle.",
    "The agreement of 1994 created the World Trade Organization with 123 founding members. "
    "Critics opposed the dispute settlement rules.",
    "東京で2015年に署名された協定には12か国が参加した。日本はこの協定を支持した。",
    "The 2016 accord on climate was signed in New York by 175 parties; "
    "the United States later withdrew and opposed it.",
]

VARIABLES = [
    ("country", "text", "The main country discussed.", [], False),
    ("year", "integer", "The year the agreement was signed.", [], False),
    ("signed_on", "date", "The signing date.", [], False),
    ("parties", "integer", "How many parties signed.", [], False),
    (
        "stance",
        "category",
        "The stance of the main country.",
        ["support", "oppose", "neutral"],
        False,
    ),
]


def make_project(owner, *, documents=TEXTS, variables=VARIABLES, name="Treaties"):
    from projects.models import Project

    project = Project.objects.create(owner=owner, name=name, description="International treaties")
    for index, text in enumerate(documents):
        document_create_from_text(project=project, name=f"doc-{index:03d}", text=text)
    for position, (key, kind, instructions, allowed, required) in enumerate(variables):
        Variable.objects.create(
            project=project,
            key=key,
            type=kind,
            instructions=instructions,
            allowed_values=allowed,
            required=required,
            position=position,
        )
    schema_confirm(project=project, user=owner)
    return project


@pytest.fixture
def treaty_project(user):
    return make_project(user)


@pytest.fixture
def engine_settings(llm_settings):
    """The engine in the test's own thread, quick leases, no task time limit worries."""
    llm_settings.PROCESSING_THREADS_PER_TASK = 1
    llm_settings.PROCESSING_PARALLEL_TASKS = 1
    llm_settings.PROCESSING_TASK_SECONDS = 60
    llm_settings.PROCESSING_LEASE_SECONDS = 60
    return llm_settings
