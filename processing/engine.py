"""The processing engine: runner tasks claim work items and extract each document.

A runner (one Celery task) works a job for at most ``PROCESSING_TASK_SECONDS`` on
``PROCESSING_THREADS_PER_TASK`` threads, then queues its successor if work is left.
Each thread loops: claim one item (``lifecycle.item_claim``: conditional UPDATE,
lease), make the document's calls through the gateway, validate, and write the
extractions together with the item's status in one transaction that only succeeds if
this runner still holds the lease (``outcomes.py``). A dead runner's items come back
when their lease expires (the sweeper), and calls already answered come back from the
gateway's cache, so a crash repeats at most the calls in flight. A job with a budget
admits every call before it is sent (``budget.py``), so its spend never passes the
budget however many runners it has. Every status change goes through ``lifecycle.py``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from extractor.llm.errors import (
    BudgetExceededError,
    LLMConfigurationError,
    LLMError,
    ModelNotFoundError,
    TruncatedError,
)
from extractor.llm.gateway import CallContext, complete_json
from processing import lifecycle
from processing.answers import ValidatedValue, validate_answer
from processing.budget import JobBudget, job_pause_if_spent
from processing.dispatch import enqueue_runners
from processing.evidence import EvidenceIndex
from processing.lifecycle import job_log
from processing.merge import merge_chunk_answers
from processing.models import JobDocument, ProcessingJob
from processing.outcomes import item_complete, item_fail, item_give_back, item_release
from processing.reuse import variables_to_ask
from projects.models import Document
from schemas.calls import document_calls
from schemas.models import SchemaVersion
from schemas.planning import output_token_budget
from schemas.prompts import build_messages, build_prompt

logger = logging.getLogger(__name__)
Status = ProcessingJob.Status
ItemStatus = JobDocument.Status


class Abandoned(Exception):
    """The job was cancelled or paused while this document was being worked on."""


# --- Extracting one document ----------------------------------------------------------


def _call_variables(
    *,
    job: ProcessingJob,
    version: SchemaVersion,
    document: Document,
    variables: list[dict],
    text: str,
    messages: list[dict] | None,
    json_schema: dict | None,
    max_output_tokens: int,
    should_stop,
    index: EvidenceIndex,
    budget: JobBudget | None,
) -> dict[str, ValidatedValue]:
    """One structured-output call for ``variables`` over ``text``; an answer cut off by
    the output limit is not paid for again as is: the variables are split in two and
    each half asked separately."""
    if should_stop():
        raise Abandoned("The job stopped while this document was in progress.")
    if messages is None or json_schema is None:
        bundle = build_prompt(instructions=version.instructions, variables=variables)
        messages = build_messages(bundle, document_name=document.name, text=text)
        json_schema = bundle.json_schema
    try:
        result = complete_json(
            messages=messages,
            schema_name="extraction",
            json_schema=json_schema,
            model=job.model,
            max_output_tokens=max_output_tokens,
            context=CallContext(
                purpose="extraction",
                project_id=job.project_id,
                job_id=job.pk,
                document_id=document.pk,
                admission=budget,
            ),
        )
    except TruncatedError:
        if len(variables) == 1:
            raise
        half = len(variables) // 2
        values = {}
        for part in (variables[:half], variables[half:]):
            values.update(
                _call_variables(
                    job=job,
                    version=version,
                    document=document,
                    variables=part,
                    text=text,
                    messages=None,
                    json_schema=None,
                    max_output_tokens=max(max_output_tokens, output_token_budget(len(part))),
                    should_stop=should_stop,
                    index=index,
                    budget=budget,
                )
            )
        return values
    return validate_answer(variables=variables, answer=result.data, text=document.text, index=index)


def document_extract(
    *,
    job: ProcessingJob,
    version: SchemaVersion,
    document: Document,
    should_stop,
    budget: JobBudget | None = None,
    variables: list[dict] | None = None,
) -> dict[str, ValidatedValue]:
    """``variables`` of ``version`` (default: all) for ``document``: one call per
    variable group and text chunk (usually exactly one), chunk answers merged per
    variable type. ``budget`` admits every call of a job that has one."""
    asked = version.variables if variables is None else variables
    if not asked:
        return {}
    by_key = {variable["key"]: variable for variable in asked}
    index = EvidenceIndex(document.text)  # folded once, used by every call's answer
    per_group: dict[int, list[dict[str, ValidatedValue]]] = {}
    group_variables: dict[int, list[dict]] = {}
    for call in document_calls(
        project=job.project,
        variables=asked,
        instructions=version.instructions,
        document=document,
        count_tokens=False,
    ):
        variables = [by_key[key] for key in call["variables"]]
        group_variables[call["group"]] = variables
        values = _call_variables(
            job=job,
            version=version,
            document=document,
            variables=variables,
            text=document.text[call["chunk_start"] : call["chunk_end"]],
            messages=call["messages"],
            json_schema=call["response_format"]["json_schema"]["schema"],
            max_output_tokens=call["max_output_tokens"],
            should_stop=should_stop,
            index=index,
            budget=budget,
        )
        per_group.setdefault(call["group"], []).append(values)
    return merge_groups(per_group, group_variables)


def merge_groups(
    per_group: dict[int, list[dict[str, ValidatedValue]]], group_variables: dict[int, list[dict]]
) -> dict[str, ValidatedValue]:
    """A document's values from its calls' answers: one answer per variable group
    as it is, the answers of a group's text chunks merged per variable type."""
    merged: dict[str, ValidatedValue] = {}
    for group, answers in per_group.items():
        if len(answers) == 1:
            merged.update(answers[0])
        else:
            merged.update(merge_chunk_answers(variables=group_variables[group], answers=answers))
    return merged


# --- The runner -----------------------------------------------------------------------


def _job_status(job_id: int) -> str | None:
    return ProcessingJob.objects.filter(pk=job_id).values_list("status", flat=True).first()


def item_process(
    *,
    job: ProcessingJob,
    version: SchemaVersion,
    item: JobDocument,
    worker: str,
    deadline: float | None = None,
) -> None:
    """Extract one claimed document and record the outcome, whatever happens.
    ``deadline``: when the runner task's time is up (no budget wait goes past it)."""
    last_check = [0.0, Status.RUNNING]

    def should_stop() -> bool:
        # At most one status query a second per thread, however many calls a document needs.
        if time.monotonic() - last_check[0] > 1.0:
            last_check[:] = [time.monotonic(), _job_status(job.pk)]
        return last_check[1] != Status.RUNNING

    # Only a job with a budget pays for admissions (two short transactions a call).
    budget = (
        JobBudget(
            job_id=job.pk,
            held=lambda: lifecycle.item_held(item=item, worker=worker),
            deadline=deadline,
        )
        if job.budget_usd is not None
        else None
    )
    outcome = {"job": job, "item": item, "worker": worker, "budget": budget}
    asked: list[dict] = []
    try:
        # Only what the version lacks for this document: carried and earlier values stay.
        asked = variables_to_ask(version=version, model=job.model, document_id=item.document_id)
        values = document_extract(
            job=job,
            version=version,
            document=item.document,
            should_stop=should_stop,
            budget=budget,
            variables=asked,
        )
    except (Abandoned, BudgetExceededError) as exc:
        status = _job_status(job.pk)
        if status == Status.RUNNING:
            # Refused while the job runs: calls in flight kept the room it needed for a
            # whole task's length, or the item was taken back. Try again later.
            item_give_back(**outcome, reason=str(exc), refused=True)
        else:
            item_release(
                **outcome,
                status=ItemStatus.PENDING if status == Status.PAUSED else ItemStatus.CANCELLED,
            )
        return
    except (LLMConfigurationError, ModelNotFoundError) as exc:
        # No document can succeed: stop the job instead of failing items one by one.
        item_fail(**outcome, reason=str(exc))
        lifecycle.job_fail(job_id=job.pk, message=str(exc))
        return
    except LLMError as exc:
        attempts_left = item.attempts < settings.PROCESSING_MAX_ATTEMPTS
        if not exc.permanent and attempts_left:
            item_give_back(**outcome, reason=str(exc))
        else:
            item_fail(**outcome, reason=str(exc))
        return
    except Exception as exc:  # a bug must cost one document, never the job or the worker
        logger.exception("processing job %s document %s", job.pk, item.document_id)
        item_fail(**outcome, reason=f"Internal error while processing: {type(exc).__name__}: {exc}")
        return
    item_complete(**outcome, version=version, values=values, asked=asked)
    if budget is not None:
        job_pause_if_spent(job_id=job.pk)


class Runner:
    """One runner task's work on one job: threads claiming items until a deadline."""

    def __init__(self, job: ProcessingJob, hostname: str):
        self.job = job
        self.version = job.schema_version
        self.worker = f"{hostname}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.deadline = time.monotonic() + settings.PROCESSING_TASK_SECONDS
        self.held: set[int] = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def _loop(self) -> None:
        try:
            while time.monotonic() < self.deadline and _job_status(self.job.pk) == Status.RUNNING:
                item = lifecycle.item_claim(
                    job_id=self.job.pk, worker=self.worker, live=lifecycle.live_items(self.job)
                )
                if item is None:
                    return
                with self.lock:
                    self.held.add(item.pk)
                try:
                    item_process(
                        job=self.job,
                        version=self.version,
                        item=item,
                        worker=self.worker,
                        deadline=self.deadline,
                    )
                finally:
                    with self.lock:
                        self.held.discard(item.pk)
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()

    def _heartbeat(self) -> None:
        """Renew the leases of the items in hand while their calls run."""
        interval = max(settings.PROCESSING_LEASE_SECONDS / 3, 1)
        try:
            while not self.stopped.wait(interval):
                with self.lock:
                    held = list(self.held)
                if held:
                    lifecycle.item_leases_renew(item_ids=held, worker=self.worker)
                ProcessingJob.objects.filter(pk=self.job.pk).update(heartbeat_at=timezone.now())
        finally:
            connection.close()

    def run(self) -> None:
        threads = settings.PROCESSING_THREADS_PER_TASK
        heartbeat = threading.Thread(target=self._heartbeat, daemon=True)
        heartbeat.start()
        try:
            if threads <= 1:
                self._loop()
            else:
                with ThreadPoolExecutor(threads, thread_name_prefix=f"job{self.job.pk}") as pool:
                    for future in [pool.submit(self._loop) for _ in range(threads)]:
                        future.result()
        finally:
            self.stopped.set()
            heartbeat.join(timeout=5)


def job_run(*, job_id: int, hostname: str = "local") -> None:
    """Work the job until it is done, stopped, or this runner's time is up."""
    started = lifecycle.job_start(job_id=job_id)
    job = (
        ProcessingJob.objects.select_related("schema_version", "project")
        .filter(pk=job_id, status=Status.RUNNING)
        .first()
    )
    if job is None:
        return
    if (
        not JobDocument.objects.filter(job_id=job_id)
        .filter(Q(status=ItemStatus.PENDING) | Q(status=ItemStatus.RUNNING))
        .exists()
    ):
        lifecycle.job_finish_if_done(job_id=job_id)
        return
    if started:
        job_log(job, "job_started", "Processing started.")
    Runner(job, hostname).run()
    if (
        _job_status(job_id) == Status.RUNNING
        and JobDocument.objects.filter(lifecycle.live_items(job), job_id=job_id)
        .filter(status=ItemStatus.PENDING)
        .exists()
    ):
        with transaction.atomic():
            enqueue_runners(job, count=1, handoff=True)
    lifecycle.job_finish_if_done(job_id=job_id)
