"""Batch mode: a job's documents answered through the provider's Batch API, at the batch
price, as durably as the live path.

One step (``job_batch_step``, run by a task when the job is created or cancelled and by
beat every ``BATCH_POLL_SECONDS``) does what the job needs now:

1. **Submit** the pending documents that were never in a batch, in files of at most the
   provider's limits (``extractor.llm.batch.file_limits``). Each file is a
   ``ProviderBatch`` row, and every step of its submission is written down before the
   next is taken: the row and its token first; then the items it holds (pending ->
   running, under the batch); then the budget reservation; then the uploaded file's id;
   then ``submitting``; then the provider's batch id. The token names the file and rides
   in the batch's metadata, so a worker killed anywhere in between is followed by one
   that finds the file or the batch at the provider instead of sending them again.
2. **Poll** the submitted batches: status and request counts, shown as progress.
3. **Cancel** the open batches of a cancelled job.
4. **Collect** the ended ones: every answer is judged as a live answer is (refusal,
   truncation, JSON valid for the schema, then the engine's evidence, type and
   chunk-merging checks) and written with the item's outcome in one transaction, with
   its ``LLMCall`` row at the batch price. A document whose requests did not all come
   back usable (an error line, an expired or failed batch) goes to the live path
   (``settings.BATCH_FALLBACK = "live"``) or into the next batch (``"batch"``), within
   ``PROCESSING_MAX_ATTEMPTS``; the answers it did get are in the response cache, so
   only what is missing is asked again.

A request the response cache already answers is never put in a batch. The work of a
batch (submitting, collecting) is held under a lease on its row, so two steps at once
(beat and a task) never do the same work twice.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from extractor.llm import batch as batch_api
from extractor.llm import records
from extractor.llm.batch import BatchAnswer, PreparedCall
from extractor.llm.client import ProviderConfig, TransientFailure, provider_config
from extractor.llm.errors import LLMConfigurationError, LLMError
from extractor.llm.pricing import cost_usd
from extractor.llm.tokens import count_messages
from processing import lifecycle
from processing.answers import validate_answer
from processing.budget import job_pause_for_budget, usd
from processing.dispatch import enqueue_runners
from processing.engine import merge_groups
from processing.evidence import EvidenceIndex
from processing.lifecycle import job_log
from processing.models import JobDocument, ProcessingJob, ProcessingLog, ProviderBatch
from processing.outcomes import item_complete, item_fail, item_give_back, item_release
from processing.reuse import held_keys
from schemas.calls import document_calls
from schemas.estimate import expected_output_tokens
from schemas.models import SchemaVersion

logger = logging.getLogger(__name__)
Status = ProcessingJob.Status
ItemStatus = JobDocument.Status
BatchStatus = ProviderBatch.Status

_PAGE = 200  # documents read, and requests built, at a time
_PROVIDER_STATUS = {choice.value for choice in BatchStatus} - {"preparing", "submitting"}


def lease_seconds() -> int:
    """How long one worker holds a batch's submission or collection before another may
    take it over: long enough to upload 200 MB, short enough that a killed worker's
    batch goes on soon after."""
    return max(settings.PROCESSING_LEASE_SECONDS * 5, 30)


@dataclass(frozen=True)
class Request:
    """One request of a document: which call of the document it is, and the call."""

    custom_id: str
    call: PreparedCall
    group: int
    variables: list[dict]
    chunk: tuple[int, int]


# --- Requests of a document --------------------------------------------------------------


def _asked(version: SchemaVersion, keys: list[str] | None) -> list[dict]:
    if keys is None:
        return list(version.variables)
    wanted = set(keys)
    return [variable for variable in version.variables if variable["key"] in wanted]


def item_requests(job: ProcessingJob, version: SchemaVersion, item: JobDocument) -> list[Request]:
    """The requests the live path would make for this document, for the variables its
    item asks (``item.asked``, written when it joined a batch), in a stable order:
    ``custom_id`` is ``<item id>-<call number>``."""
    variables = _asked(version, item.asked)
    by_key = {variable["key"]: variable for variable in variables}
    requests = []
    calls = document_calls(
        project=job.project,
        variables=variables,
        instructions=version.instructions,
        document=item.document,
        count_tokens=False,
    )
    for number, call in enumerate(calls):
        requests.append(
            Request(
                custom_id=f"{item.pk}-{number}",
                call=batch_api.prepare_call(
                    messages=call["messages"],
                    schema_name="extraction",
                    json_schema=call["response_format"]["json_schema"]["schema"],
                    model=job.model,
                    max_output_tokens=call["max_output_tokens"],
                ),
                group=call["group"],
                variables=[by_key[key] for key in call["variables"]],
                chunk=(call["chunk_start"], call["chunk_end"]),
            )
        )
    return requests


def _estimated_cost(job: ProcessingJob, requests: list[Request]) -> Decimal:
    """What the requests should cost at the batch price: their prompts as counted,
    the answers as the run's estimate has them (``expected_output_tokens``)."""
    prompt = sum(count_messages(request.call.messages, job.model) for request in requests)
    output = sum(expected_output_tokens(len(request.variables)) for request in requests)
    return cost_usd(
        job.model, prompt_tokens=prompt, cached_tokens=0, completion_tokens=output, batch=True
    )


# --- Leases on a batch's work ------------------------------------------------------------------


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _take(batch: ProviderBatch, worker: str) -> bool:
    """Hold ``batch``'s work under ``worker`` unless another worker's lease runs."""
    now = timezone.now()
    taken = (
        ProviderBatch.objects.filter(pk=batch.pk, collected_at__isnull=True)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(worker=worker))
        .update(worker=worker, lease_expires_at=now + timedelta(seconds=lease_seconds()))
    )
    return bool(taken)


def _let_go(batch: ProviderBatch, worker: str) -> None:
    ProviderBatch.objects.filter(pk=batch.pk, worker=worker).update(
        worker="", lease_expires_at=None
    )


def _save(batch: ProviderBatch, **fields) -> None:
    """Write what just happened to ``batch`` at once (autocommitted): the next step
    may be a request a killed worker must not repeat."""
    for name, value in fields.items():
        setattr(batch, name, value)
    ProviderBatch.objects.filter(pk=batch.pk).update(**fields)


# --- Submitting --------------------------------------------------------------------------


def _pending_for_batch(job: ProcessingJob):
    return JobDocument.objects.filter(job=job, status=ItemStatus.PENDING, batch__isnull=True)


def _reserve(job: ProcessingJob, batch: ProviderBatch, amount: Decimal) -> bool:
    """Hold the batch's estimated cost against the job's budget; False (and the job
    paused, with the figures) when it does not fit."""
    with transaction.atomic():
        row = (
            ProcessingJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values("status", "budget_usd", "cost_usd", "reserved_usd")
            .first()
        )
        if row is None or row["status"] != Status.RUNNING:
            return False
        budget = row["budget_usd"]
        if budget is not None and row["cost_usd"] + row["reserved_usd"] + amount > budget:
            refused = (row["cost_usd"], row["reserved_usd"], budget)
        else:
            ProcessingJob.objects.filter(pk=job.pk).update(reserved_usd=F("reserved_usd") + amount)
            ProviderBatch.objects.filter(pk=batch.pk).update(reserved_usd=amount)
            batch.reserved_usd = amount
            return True
    cost, reserved, budget = refused
    job_pause_for_budget(
        job_id=job.pk,
        message=(
            f"Paused before submitting a batch of {batch.requests} request(s): it should "
            f"cost {usd(amount)} at the batch price, and with {usd(cost)} spent and "
            f"{usd(reserved)} held by other batches that would exceed the budget of "
            f"{usd(budget)}. Resume with a higher budget to submit it."
        ),
        data={
            "batch_estimate_usd": str(amount),
            "cost_usd": str(cost),
            "reserved_usd": str(reserved),
            "budget_usd": str(budget),
        },
    )
    return False


def _release_reservation(job_id: int, batch: ProviderBatch) -> None:
    """Give back what the batch held against the budget (its answers are recorded)."""
    with transaction.atomic():
        held = (
            ProviderBatch.objects.select_for_update()
            .filter(pk=batch.pk)
            .values_list("reserved_usd", flat=True)
            .first()
        )
        if held:
            ProviderBatch.objects.filter(pk=batch.pk).update(reserved_usd=0)
            ProcessingJob.objects.filter(pk=job_id).update(reserved_usd=F("reserved_usd") - held)
    batch.reserved_usd = Decimal(0)


@dataclass
class Built:
    """An input file being written: its bytes, lines and the requests in it."""

    spool: tempfile.SpooledTemporaryFile
    lines: int = 0
    size: int = 0
    requests: list[Request] | None = None
    documents: int = 0

    def add(self, item_requests: list[Request], config: ProviderConfig) -> None:
        for request in item_requests:
            line = batch_api.request_line(request.call, custom_id=request.custom_id, config=config)
            self.spool.write(line)
            self.lines += 1
            self.size += len(line)
        self.requests.extend(item_requests)
        self.documents += 1

    def content(self) -> bytes:
        self.spool.seek(0)
        return self.spool.read()


def _new_file() -> Built:
    return Built(spool=tempfile.SpooledTemporaryFile(max_size=32 * 1024**2), requests=[])


def _unanswered(job, version, item: JobDocument, config: ProviderConfig) -> list[Request]:
    """``item``'s requests the response cache cannot answer: those go in the file."""
    return [
        request
        for request in item_requests(job, version, item)
        if _cached(request.call, config) is None
    ]


def _fill(job: ProcessingJob, version: SchemaVersion, batch: ProviderBatch, config) -> Built | None:
    """Claim pending documents into ``batch`` up to the file limits, writing their
    requests into the input file as they come; None when no document was left.

    Each item's ``asked`` keys (what the version lacks for it) are written with the
    claim, so the requests can be built again from the items alone: by a worker that
    resumes this submission, and when the answers are collected."""
    max_requests, max_bytes = batch_api.file_limits()
    built = _new_file()
    full = False
    while not full:
        page = list(_pending_for_batch(job).order_by("id").select_related("document")[:_PAGE])
        if not page:
            break
        held = held_keys(
            version_id=version.pk,
            model=job.model,
            keys=version.variable_keys,
            document_ids=[item.document_id for item in page],
        )
        chosen: dict[int, tuple[JobDocument, list[Request]]] = {}
        lines = size = 0
        for item in page:
            has = held.get(item.document_id, frozenset())
            keys = [key for key in version.variable_keys if key not in has]
            item.asked = None if len(keys) == len(version.variable_keys) else keys
            wanted = _unanswered(job, version, item, config)
            add = sum(
                len(batch_api.request_line(r.call, custom_id=r.custom_id, config=config))
                for r in wanted
            )
            if (built.documents or chosen) and (
                built.lines + lines + len(wanted) > max_requests
                or built.size + size + add > max_bytes
            ):
                full = True
                break
            chosen[item.pk] = (item, wanted)
            lines += len(wanted)
            size += add
        if not chosen:
            break
        lifecycle.items_claim_for_batch(job_id=job.pk, item_ids=list(chosen), batch=batch)
        mine = set(batch.items.filter(pk__in=list(chosen)).values_list("pk", flat=True))
        partial = {pk: item.asked for pk, (item, _) in chosen.items() if pk in mine and item.asked}
        JobDocument.objects.filter(pk__in=mine - set(partial)).update(asked=None)
        for pk, keys in partial.items():
            JobDocument.objects.filter(pk=pk).update(asked=keys)
        for pk, (_item, wanted) in chosen.items():
            if pk in mine:
                built.add(wanted, config)
    return built if built.documents else None


def _cached(call: PreparedCall, config: ProviderConfig) -> dict | None:
    if not settings.LLM_CACHE_ENABLED:
        return None
    hit = records.cached_success(
        request_hash=call.request_hash, model=call.model, base_url=config.base_url
    )
    return hit.response if hit is not None else None


def _rebuilt(job, version, batch: ProviderBatch, config) -> Built:
    """The input file of a batch whose submission a stopped worker left before the
    upload, from the items it holds."""
    built = _new_file()
    held = batch.items.filter(status=ItemStatus.RUNNING).select_related("document").order_by("id")
    for item in held.iterator(chunk_size=_PAGE):
        built.add(_unanswered(job, version, item, config), config)
    return built


def _submit(
    job: ProcessingJob,
    version: SchemaVersion,
    batch: ProviderBatch,
    config,
    built: Built | None = None,
) -> None:
    """Take ``batch`` from wherever its submission stopped to ``validating`` at the
    provider (or, with every request answered by the cache, straight to collection)."""
    if batch.status == BatchStatus.PREPARING and not batch.input_file_id:
        built = built or _rebuilt(job, version, batch, config)
        content = built.content()
        _save(batch, requests=built.lines, bytes=len(content))
        if built.lines == 0:
            # The cache answers every request: collected at once, nothing is sent.
            _save(batch, status=BatchStatus.COMPLETED, ended_at=timezone.now())
            return
        if not batch.reserved_usd and not _reserve(
            job, batch, _estimated_cost(job, built.requests)
        ):
            _unclaim(job, batch)
            return
        existing = batch_api.find_file(config, filename=_filename(batch))
        file_id = existing or batch_api.upload_file(
            config, filename=_filename(batch), content=content
        )
        _save(batch, input_file_id=file_id)
    if batch.status == BatchStatus.PREPARING:
        _save(batch, status=BatchStatus.SUBMITTING)
        state = None
    else:
        # Submitting when the last worker stopped: the provider may have the batch.
        state = batch_api.find_batch(config, token=batch.token)
    if state is None:
        state = batch_api.create_batch(
            config, input_file_id=batch.input_file_id, token=batch.token, job_id=job.pk
        )
    _record_state(batch, state, submitted=True)
    job_log(
        job,
        "batch_submitted",
        f"Batch {state.id} submitted: {batch.requests} request(s), {batch.bytes:,} bytes; "
        f"estimated {usd(batch.reserved_usd)} at the batch price.",
        data={
            "batch": state.id,
            "requests": batch.requests,
            "bytes": batch.bytes,
            "reserved_usd": str(batch.reserved_usd),
        },
    )


def _filename(batch: ProviderBatch) -> str:
    return f"extractor-{batch.token}.jsonl"


def _unclaim(job: ProcessingJob, batch: ProviderBatch) -> None:
    """A batch that will not be submitted (refused by the budget) gives its documents
    back, untouched, and goes away."""
    with transaction.atomic():
        lifecycle.items_unclaim_batch(batch=batch)
        batch.delete()


def _submit_all(job: ProcessingJob, version: SchemaVersion, config, worker: str) -> None:
    """Finish the submissions a stopped worker left, then submit what is pending."""
    for batch in job.batches.filter(
        status__in=[BatchStatus.PREPARING, BatchStatus.SUBMITTING], collected_at__isnull=True
    ):
        if _take(batch, worker):
            try:
                _submit(job, version, batch, config)
            finally:
                _let_go(batch, worker)
    while _job_status(job.pk) == Status.RUNNING and _pending_for_batch(job).exists():
        batch = ProviderBatch.objects.create(
            job=job,
            token=uuid.uuid4().hex,
            worker=worker,
            lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds()),
        )
        built = _fill(job, version, batch, config)
        if built is None:
            batch.delete()  # another step took them first
            return
        try:
            _submit(job, version, batch, config, built)
        finally:
            _let_go(batch, worker)


# --- Polling and cancelling --------------------------------------------------------------


def _record_state(batch: ProviderBatch, state, *, submitted: bool = False) -> None:
    status = state.status if state.status in _PROVIDER_STATUS else BatchStatus.IN_PROGRESS
    fields = {
        "provider_id": state.id,
        "status": status,
        "request_counts": state.request_counts,
        "output_file_id": state.output_file_id,
        "error_file_id": state.error_file_id,
        "polled_at": timezone.now(),
    }
    if state.errors:
        fields["error"] = state.errors
    if submitted and batch.submitted_at is None:
        fields["submitted_at"] = timezone.now()
    if status in ProviderBatch.ENDED and batch.ended_at is None:
        fields["ended_at"] = timezone.now()
    _save(batch, **fields)


def _poll(batch: ProviderBatch, config) -> None:
    _record_state(batch, batch_api.retrieve_batch(config, batch.provider_id))


def _cancel(job: ProcessingJob, batch: ProviderBatch, config) -> None:
    """Ask the provider to stop ``batch``; what it answered until then is collected
    (and billed) like any answer."""
    state = batch_api.cancel_batch(config, batch.provider_id)
    _save(batch, cancel_requested=True)
    _record_state(batch, state)
    job_log(job, "batch_cancelling", f"Asked the provider to cancel batch {batch.provider_id}.")


# --- Collecting --------------------------------------------------------------------------


def _results(batch: ProviderBatch, config) -> tuple[dict[str, dict], bool]:
    """The output and error files' lines by ``custom_id``, and whether simulated."""
    lines: dict[str, dict] = {}
    simulated = False
    for file_id in (batch.error_file_id, batch.output_file_id):  # output wins
        if not file_id:
            continue
        content, fake = batch_api.file_content(config, file_id)
        simulated = simulated or fake
        for line in batch_api.result_lines(content):
            lines[line["custom_id"]] = line
    return lines, simulated


def _answers_for(
    item: JobDocument,
    requests: list[Request],
    lines: dict[str, dict],
    *,
    batch: ProviderBatch,
    config,
    simulated: bool,
) -> tuple[dict[str, BatchAnswer | dict], list]:
    """Each request's answer (a line read, or the cache's data) and the ledger rows of
    the lines; a request with neither is missing from the mapping."""
    answers: dict[str, BatchAnswer | dict] = {}
    ledger = []
    context = {
        "purpose": "extraction",
        "project_id": item.job.project_id,
        "job_id": item.job_id,
        "document_id": item.document_id,
    }
    for request in requests:
        line = lines.get(request.custom_id)
        if line is not None:
            answer = batch_api.read_answer(line, request.call)
            answers[request.custom_id] = answer
            if answer.status is not None:  # it ran (an expired batch's leftovers did not)
                ledger.append(
                    batch_api.ledger_row(
                        answer,
                        request.call,
                        batch_id=batch.provider_id,
                        base_url=config.base_url,
                        simulated=simulated,
                        context=context,
                    )
                )
            continue
        cached = _cached(request.call, config)
        if cached is not None:
            answers[request.custom_id] = cached
    return answers, ledger


def _values(item: JobDocument, version: SchemaVersion, requests, answers) -> dict | None:
    """The document's values from its answers, through the engine's checks; None when
    a request has no usable answer."""
    index = EvidenceIndex(item.document.text)
    per_group: dict[int, list] = {}
    group_variables: dict[int, list[dict]] = {}
    for request in requests:
        answer = answers.get(request.custom_id)
        data = answer.data if isinstance(answer, BatchAnswer) else answer
        if data is None:
            return None
        group_variables[request.group] = request.variables
        per_group.setdefault(request.group, []).append(
            validate_answer(
                variables=request.variables, answer=data, text=item.document.text, index=index
            )
        )
    return merge_groups(per_group, group_variables)


def _why_not(requests, answers, batch: ProviderBatch) -> str:
    for request in requests:
        answer = answers.get(request.custom_id)
        if isinstance(answer, BatchAnswer) and answer.error is not None:
            return answer.error.message
        if answer is None:
            name = batch.provider_id or batch.token
            return f"Batch {name} ended {batch.status} without answering it."
    return "No usable answer in the batch."


def _collect_item(job, version, item: JobDocument, *, batch, lines, config, simulated) -> str:
    """Record what ``batch`` answered for one document; returns ``done``, ``retry``,
    ``failed`` or ``cancelled``."""
    worker = lifecycle.batch_worker(batch.token)
    requests = item_requests(job, version, item)
    answers, ledger = _answers_for(
        item, requests, lines, batch=batch, config=config, simulated=simulated
    )
    outcome = {"job": job, "item": item, "worker": worker, "ledger": ledger}
    if _job_status(job.pk) == Status.CANCELLING:
        item_release(**outcome, status=ItemStatus.CANCELLED)
        return "cancelled"
    values = _values(item, version, requests, answers)
    if values is not None:
        item_complete(**outcome, version=version, values=values, asked=_asked(version, item.asked))
        return "done"
    reason = _why_not(requests, answers, batch)
    if item.attempts < settings.PROCESSING_MAX_ATTEMPTS:
        item_give_back(**outcome, reason=reason)
        if settings.BATCH_FALLBACK == "batch":
            JobDocument.objects.filter(pk=item.pk, status=ItemStatus.PENDING).update(batch=None)
        return "retry"
    item_fail(**outcome, reason=f"Gave up after {item.attempts} attempt(s): {reason}")
    return "failed"


def _collect(job: ProcessingJob, version: SchemaVersion, batch: ProviderBatch, config) -> None:
    """Record every answer of an ended batch; the documents it did not answer go back."""
    lines, simulated = _results(batch, config) if batch.provider_id else ({}, False)
    tally = {"done": 0, "retry": 0, "failed": 0, "cancelled": 0}
    held = batch.items.filter(status=ItemStatus.RUNNING).select_related("document", "job")
    for item in held.iterator(chunk_size=_PAGE):
        tally[
            _collect_item(
                job, version, item, batch=batch, lines=lines, config=config, simulated=simulated
            )
        ] += 1
    _release_reservation(job.pk, batch)
    _save(batch, collected_at=timezone.now())
    if simulated:
        ProcessingJob.objects.filter(pk=job.pk).update(simulated=True)
    level = (
        ProcessingLog.Level.INFO
        if not (tally["retry"] or tally["failed"])
        else ProcessingLog.Level.WARNING
    )
    again = "the live path" if settings.BATCH_FALLBACK == "live" else "the next batch"
    job_log(
        job,
        f"batch_{batch.status}",
        f"Batch {batch.provider_id or batch.token} {batch.get_status_display().lower()}: "
        f"{tally['done']} document(s) done, {tally['retry']} sent to {again}, "
        f"{tally['failed']} failed"
        + (f", {tally['cancelled']} cancelled" if tally["cancelled"] else "")
        + (f". {batch.error}" if batch.error else "."),
        level=level,
        data={"batch": batch.provider_id, **tally, "request_counts": batch.request_counts},
    )


# --- The step --------------------------------------------------------------------------


def _job_status(job_id: int) -> str | None:
    return ProcessingJob.objects.filter(pk=job_id).values_list("status", flat=True).first()


def _provider() -> ProviderConfig:
    return provider_config()


def job_batch_step(*, job_id: int) -> None:
    """Everything a batch job needs now: submit, cancel, poll, collect, then hand the
    documents sent back to live runners and close the job when nothing is left."""
    lifecycle.job_start(job_id=job_id)
    job = (
        ProcessingJob.objects.select_related("schema_version", "project")
        .filter(pk=job_id, mode=ProcessingJob.Mode.BATCH)
        .first()
    )
    if job is None or job.status in ProcessingJob.FINISHED:
        return
    version = job.schema_version
    worker = _worker_name()
    try:
        config = _provider()
        if job.status == Status.RUNNING:
            _submit_all(job, version, config, worker)
        _advance_open(job, version, config, worker)
    except batch_api.BatchUnavailableError as exc:
        _fail_unsubmitted(job, exc.message)
    except LLMConfigurationError as exc:
        _fail_unsubmitted(job, exc.message)
    except (LLMError, TransientFailure) as exc:
        # The provider may be back at the next poll: nothing is lost meanwhile.
        message = exc.message if isinstance(exc, LLMError) else str(exc)
        logger.warning("batch job %s: provider problem, trying again later: %s", job_id, message)
    ProcessingJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
    _hand_back_to_live(job_id)
    lifecycle.job_finish_if_done(job_id=job_id)


def _advance_open(job: ProcessingJob, version, config, worker: str) -> None:
    cancelling = _job_status(job.pk) == Status.CANCELLING
    for batch in job.batches.filter(collected_at__isnull=True).exclude(
        status__in=[BatchStatus.PREPARING, BatchStatus.SUBMITTING]
    ):
        if not _take(batch, worker):
            continue
        try:
            if batch.status not in ProviderBatch.ENDED:
                if cancelling and not batch.cancel_requested:
                    _cancel(job, batch, config)
                else:
                    _poll(batch, config)
            if batch.status in ProviderBatch.ENDED:
                _collect(job, version, batch, config)
        finally:
            _let_go(batch, worker)
    if cancelling:
        _cancel_unsubmitted(job, worker, config)


def _cancel_unsubmitted(job: ProcessingJob, worker: str, config) -> None:
    """Batches of a cancelled job that were never submitted end here; one whose
    submission was cut short is looked for at the provider first (and cancelled)."""
    for batch in job.batches.filter(
        status__in=[BatchStatus.PREPARING, BatchStatus.SUBMITTING], collected_at__isnull=True
    ):
        if not _take(batch, worker):
            continue
        try:
            state = (
                batch_api.find_batch(config, token=batch.token)
                if batch.status == BatchStatus.SUBMITTING
                else None
            )
            if state is not None:
                _record_state(batch, state, submitted=True)
                if batch.status not in ProviderBatch.ENDED:
                    _cancel(job, batch, config)
                continue
            _save(batch, status=BatchStatus.CANCELLED, ended_at=timezone.now())
            _collect(job, job.schema_version, batch, config)
        finally:
            _let_go(batch, worker)


def _fail_unsubmitted(job: ProcessingJob, message: str) -> None:
    """The provider cannot take batches: the documents not submitted fail with the
    reason (a standard run, or "retry failed" once it can, picks them up)."""
    for batch in job.batches.filter(provider_id="", collected_at__isnull=True):
        items = list(batch.items.filter(status=ItemStatus.RUNNING).select_related("job"))
        for item in items:
            item_fail(
                job=job, item=item, worker=lifecycle.batch_worker(batch.token), reason=message
            )
        _release_reservation(job.pk, batch)
        _save(batch, status=BatchStatus.FAILED, error=message[:2000], collected_at=timezone.now())
    lifecycle.job_fail(job_id=job.pk, message=message)


def _hand_back_to_live(job_id: int) -> None:
    """Documents a batch sent back to the live path get runners (the sweeper replaces
    them if they die)."""
    job = ProcessingJob.objects.filter(pk=job_id, status=Status.RUNNING).first()
    if job is None:
        return
    pending = JobDocument.objects.filter(
        lifecycle.live_items(job), job_id=job_id, status=ItemStatus.PENDING
    ).count()
    if pending:
        with transaction.atomic():
            enqueue_runners(
                job,
                count=min(
                    settings.PROCESSING_PARALLEL_TASKS,
                    -(-pending // settings.PROCESSING_THREADS_PER_TASK),
                ),
            )


def open_batch_jobs() -> list[int]:
    """Batch jobs with something to do: documents to submit, batches to follow."""
    return list(
        ProcessingJob.objects.filter(
            mode=ProcessingJob.Mode.BATCH,
            status__in=[Status.QUEUED, Status.RUNNING, Status.CANCELLING, Status.PAUSED],
        )
        .filter(
            Q(status__in=[Status.QUEUED, Status.RUNNING], items__status=ItemStatus.PENDING)
            | Q(batches__collected_at__isnull=True, batches__isnull=False)
            | Q(status=Status.CANCELLING)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
