"""Schemathesis against the whole API, in process (WSGI), as a user with real data.

The user owns a project with documents, variables, a confirmed schema version, a
finished job (values written by the engine against the simulator) and an export, plus
jobs that are queued, paused and failed; path parameters point at those objects, so
requests reach the views' real work rather than stopping at a 404. Each operation runs
in a savepoint rolled back afterwards: every one starts from the same data. DELETEs get
objects of their own all the same (a deleted file is not rolled back).

Per operation: the coverage phase's invalid boundary cases (wrong types, missing and
extra fields, out-of-range values, unexpected methods) and MAX_EXAMPLES random valid
and invalid cases. Checks: no 5xx; every status code, content type, body and header as
documented (errors included: every error must have the API's error format); 401
without valid credentials; 405 with Allow for methods an operation does not have. The
download is checked too: its content type per format, and a JSON export as an object
(CSV and XLSX bodies are strings/binary, so there the schema adds nothing). Checks that
presume behaviour the API does not promise are off, with the reason beside them.

The run is made twice, with DEBUG off and on (``make run`` sets it): every answer must
be in the documented shape either way. With the same seed, the DEBUG run sends the same
coverage-phase requests, which reach the errors Django and DRF answer themselves (where
DEBUG makes a difference), and one random case per operation: more would be valid
requests, whose answers DEBUG does not change.

Marked ``schemathesis``: ``-m "not schemathesis"`` leaves it out.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict

import pytest
import schemathesis
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_config
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle
from schemathesis.checks import load_all_checks
from schemathesis.core.result import Ok
from schemathesis.pytest.lazy import get_all_tests

from conftest import PASSWORD
from extractor import throttling

pytestmark = pytest.mark.schemathesis

# Random cases per operation (valid and invalid), on top of the coverage phase: about
# 2,900 requests in all, half a minute on a 2-core machine. The DEBUG run has one per
# operation (about 2,300 requests; see above).
MAX_EXAMPLES = 5
DEBUG_MAX_EXAMPLES = 1


def _operation(method: str, path: str, **parameters) -> dict:
    """Parameters for one operation (its label: several include-* keys would be OR-ed)."""
    return {"include-name": f"{method} /api/v1{path}", "parameters": parameters}


def _config(world: dict, *, max_examples: int) -> schemathesis.Config:
    project = world["project_id"]
    return schemathesis.Config.from_dict(
        {
            "seed": 20261126,  # the same cases every run: a failure is reproducible
            # Through the document's own security scheme, so the auth checks know which
            # credentials to leave out or spoil.
            "auth": {"openapi": {"tokenAuth": {"api_key": f"Token {world['token']}"}}},
            "parameters": {
                "project_id": project,
                "document_id": world["document_id"],
                "variable_id": world["variable_id"],
                "number": 1,
                "job_id": world["job_id"],
                "extraction_id": world["extraction_id"],
                "export_id": world["export_id"],
                "document": world["document_id"],  # ?document= of the prompt preview
                "round_id": world["round_id"],
                "item_id": world["item_id"],
                "upload_id": world["upload_id"],
            },
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                # Hypothesis' example database would make runs differ.
                "database": "none",
            },
            "phases": {
                # Sequences of calls: minutes more, and each operation here is rolled back.
                "stateful": {"enabled": False},
                # Invalid inputs only: the valid boundary cases doubled the time and found
                # nothing the random valid cases did not.
                "coverage": {
                    "unexpected-methods": ["PUT", "DELETE"],
                    "generation": {"mode": "negative"},
                },
            },
            "checks": {
                # Valid-by-schema input may still be refused for business reasons: an
                # unknown document id, a job on a project without ready documents (409).
                "positive_data_acceptance": {"enabled": False},
                # The schema cannot say everything the API accepts leniently (DRF
                # coerces "1" to 1, ignores unknown fields): not a defect.
                "negative_data_rejection": {"enabled": False},
                # Resource life-cycle checks need the stateful phase, which is off.
                "use_after_free": {"enabled": False},
                "ensure_resource_availability": {"enabled": False},
            },
            "operations": [
                # Deletes get objects of their own, so the others keep theirs.
                _operation(
                    "DELETE", "/projects/{project_id}/", project_id=world["scratch_project"]
                ),
                _operation(
                    "DELETE",
                    "/projects/{project_id}/documents/{document_id}/",
                    project_id=project,
                    document_id=world["scratch_document"],
                ),
                _operation(
                    "DELETE",
                    "/projects/{project_id}/variables/{variable_id}/",
                    project_id=project,
                    variable_id=world["scratch_variable"],
                ),
                # Jobs in the state each action starts from (the main one has finished).
                _operation("POST", "/jobs/{job_id}/cancel/", job_id=world["queued_job"]),
                _operation("POST", "/jobs/{job_id}/resume/", job_id=world["paused_job"]),
                _operation("POST", "/jobs/{job_id}/retry-failed/", job_id=world["failed_job"]),
                # Bodies random data would never get right.
                _operation(
                    "POST",
                    "/projects/{project_id}/variables/reorder/",
                    project_id=project,
                    **{"body.order": world["variable_order"]},
                ),
                _operation(
                    "DELETE",
                    "/projects/{project_id}/members/{member_id}/",
                    project_id=project,
                    member_id=world["member_id"],
                ),
                _operation(
                    "POST",
                    "/projects/{project_id}/members/",
                    project_id=project,
                    **{"body.username": "erin", "body.role": "coder"},
                ),
                _operation(
                    "POST",
                    "/projects/{project_id}/rounds/",
                    project_id=project,
                    **{
                        "body.coders": [world["username"], "carol"],
                        "body.sample_size": 2,
                        "body.variables": ["country"],
                    },
                ),
                _operation("POST", "/rounds/{round_id}/close/", round_id=world["round_to_close"]),
                _operation(
                    "PUT",
                    "/rounds/{round_id}/items/{item_id}/",
                    round_id=world["round_id"],
                    item_id=world["item_id"],
                    **{"body.value": "Chile"},
                ),
                _operation(
                    "POST",
                    "/rounds/{round_id}/adjudications/",
                    round_id=world["round_id"],
                    **{
                        "body.document": world["round_document"],
                        "body.variable": "country",
                        "body.value": "Chile",
                    },
                ),
                _operation(
                    "POST",
                    "/projects/{project_id}/variables/",
                    project_id=project,
                    **{"body.key": "fresh_variable", "body.type": "text"},
                ),
                _operation(
                    "GET",
                    "/projects/{project_id}/schema/compare/",
                    project_id=project,
                    **{"query.a": 1, "query.b": 2},
                ),
                _operation(
                    "POST",
                    "/auth/token/",
                    **{"body.username": world["username"], "body.password": PASSWORD},
                ),
            ],
        }
    )


@pytest.fixture
def api_world(db, user, llm_settings, llm_simulator, monkeypatch):
    """The user's objects (built with the ORM and the engine) and an isolated app."""
    from exports.services import export_create
    from processing import jobs
    from processing.engine import job_run
    from processing.models import Extraction, JobDocument, ProcessingJob
    from processing.tests.conftest import TEXTS, VARIABLES, make_project
    from projects.models import Project
    from projects.services import document_create_from_text
    from schemas.models import Variable
    from schemas.versions import current_version, schema_confirm

    llm_settings.PROCESSING_THREADS_PER_TASK = 1
    project = make_project(user)
    job = jobs.job_create(project=project, user=user, kind="full")
    job_run(job_id=job.pk, hostname="test")
    version = current_version(project)
    export = export_create(project=project, user=user, format="csv", version=version)
    scratch_document = document_create_from_text(
        project=project, name="scratch", text="A document to delete."
    ).created[0]
    # A member to take out, and a user to bring in.
    from django.contrib.auth import get_user_model

    from projects.models import ProjectMember

    people = get_user_model().objects
    member = ProjectMember.objects.create(
        project=project, user=people.create_user("dana", password=PASSWORD), role="viewer"
    )
    people.create_user("erin", password=PASSWORD)
    # A coding round of the owner and a coder, on one text variable of two documents.
    from exports.rounds import round_create

    ProjectMember.objects.create(
        project=project, user=people.create_user("carol", password=PASSWORD), role="coder"
    )
    coding_round = round_create(
        project=project,
        user=user,
        coders=[user.get_username(), "carol"],
        variables=["country"],
        sample_size=2,
        seed=1,
        blind=False,  # its disagreements and adjudications are open to the owner now
    )
    round_item = coding_round.items.filter(coder=user).first()
    round_to_close = round_create(
        project=project,
        user=user,
        coders=[user.get_username(), "carol"],
        sample_size=1,
        seed=2,
        blind=False,
    )
    # A second version (one variable reworded, the others carried) to compare with.
    Variable.objects.filter(project=project, key="year").update(instructions="Four digits.")
    schema_confirm(project=project, user=user)
    scratch_variable = Variable.objects.create(
        project=project, key="scratch", type="text", instructions="To delete.", position=99
    )

    # Jobs waiting, paused or with failures, each in a project of its own: in the main
    # one their pending items would leave a new job nothing to process, and a project
    # runs one sample at a time.
    def sample_job(name: str):
        other = make_project(user, documents=TEXTS[:2], variables=VARIABLES[:1], name=name)
        return jobs.job_create(project=other, user=user, kind="sample", sample_size=2)

    queued_job = sample_job("Queued")
    paused_job = sample_job("Paused")
    ProcessingJob.objects.filter(pk=paused_job.pk).update(status=ProcessingJob.Status.PAUSED)
    failed_job = sample_job("Failed")
    ProcessingJob.objects.filter(pk=failed_job.pk).update(
        status=ProcessingJob.Status.COMPLETED_WITH_ERRORS, processed=2, failed=2
    )
    JobDocument.objects.filter(job=failed_job).update(status=JobDocument.Status.FAILED)
    # A parsed upload with one of each report entry, so its answer is checked whole.
    from projects.models import Upload

    upload = Upload.objects.create(
        project=project,
        user=user,
        filename="table.csv",
        sha256="0" * 64,
        source_type="csv",
        status=Upload.Status.COMPLETED,
        documents_created=1,
        duplicates=[{"filename": "table.csv", "existing_id": scratch_document.pk}],
        errors=[{"filename": "table.csv", "code": "empty_text", "message": "Row 3 is empty."}],
        notes=[{"filename": "table.csv", "message": "2 rows had no text."}],
        progress=1.0,
    )
    variables = Variable.objects.filter(project=project)
    world = {
        "username": user.get_username(),
        "token": Token.objects.create(user=user).key,
        "project_id": project.pk,
        "document_id": project.documents.exclude(pk=scratch_document.pk).first().pk,
        "variable_id": variables.first().pk,
        "job_id": job.pk,
        "extraction_id": Extraction.objects.filter(document__project=project).first().pk,
        "export_id": export.pk,
        "scratch_project": Project.objects.create(owner=user, name="Scratch").pk,
        "scratch_document": scratch_document.pk,
        "scratch_variable": scratch_variable.pk,
        "member_id": member.pk,
        "round_id": coding_round.pk,
        "item_id": round_item.pk,
        "round_document": round_item.document_id,
        "round_to_close": round_to_close.pk,
        "upload_id": upload.pk,
        "queued_job": queued_job.pk,
        "paused_job": paused_job.pk,
        "failed_job": failed_job.pk,
        "variable_order": list(
            Variable.objects.filter(project=project)
            .order_by("-position")
            .values_list("pk", flat=True)
        ),
    }
    # The app runs inside this test's transaction (pytest-django's db): Django would
    # close that connection at the start and end of each request, as its own test
    # client avoids doing.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Counters of this test only: log-in failures and DRF rates live in the cache.
    monkeypatch.setattr(throttling, "KEY_PREFIX", f"test-schemathesis-{uuid.uuid4().hex}")
    monkeypatch.setattr(ScopedRateThrottle, "cache", LocMemCache(uuid.uuid4().hex, {}))
    yield world
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


class Tally:
    """The WSGI app, counting answers per status class for the operation under test."""

    def __init__(self, app):
        self.app = app
        self.operation = ""
        self.answers: dict[str, Counter] = defaultdict(Counter)

    def __call__(self, environ, start_response):
        def start(status, headers, *args):
            self.answers[self.operation][status[0] + "xx"] += 1
            return start_response(status, headers, *args)

        return self.app(environ, start)


@pytest.fixture
def tally(api_world) -> Tally:
    from extractor.wsgi import application

    return Tally(application)


@pytest.fixture(params=[False, True], ids=["no-debug", "debug"])
def debug(request) -> bool:
    return request.param


@pytest.fixture
def api_schema(api_world, tally, debug):
    max_examples = DEBUG_MAX_EXAMPLES if debug else MAX_EXAMPLES
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", tally, config=_config(api_world, max_examples=max_examples)
    )


def _call_and_validate(case) -> None:
    case.call_and_validate()


def test_api_conforms_to_its_schema(api_schema, tally, settings, debug):
    # With DEBUG on (as `make run` sets it) Django answers its own errors with HTML
    # pages; the API must not.
    settings.DEBUG = debug
    # Schemathesis' own pytest integration (``from_fixture``) reads a pytest node
    # attribute that pytest 9.2 no longer has; this loop does what it does: one
    # Hypothesis test per operation, built from the config, then run.
    hypothesis_settings = hypothesis_config(
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    load_all_checks()
    failures = []
    for result in get_all_tests(
        schema=api_schema,
        test_func=_call_and_validate,
        settings=hypothesis_settings,
        given_kwargs={},
    ):
        if not isinstance(result, Ok):
            failures.append(f"the schema: {result.err()}")
            continue
        operation, run = result.ok()
        tally.operation = operation.label
        # Each operation starts from the same data: its writes are rolled back.
        savepoint = transaction.savepoint()
        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # FailureGroup, or a check's error
            failures.append(f"{operation.label}\n{exc}")
        finally:
            transaction.savepoint_rollback(savepoint)
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)

    # The run reached the views, not only the authentication in front of them: nearly
    # every operation answered 2xx at least once (today all do).
    labels = [label for label in tally.answers if label]  # "": loading the document
    assert len(labels) >= 40
    never = sorted(label for label in labels if not tally.answers[label]["2xx"])
    assert len(never) <= 2, "no 2xx answer: " + "; ".join(never)
