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
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from extractor.llm import batch as batch_api
from extractor.llm import records
from extractor.llm.batch import BatchAnswer, PreparedCall
from extractor.llm.client import ProviderConfig, TransientFailure, provider_config
from extractor.llm.errors import LLMConfigurationError, LLMError, LLMRequestError, RefusalError
from extractor.llm.pricing import cost_usd
from extractor.llm.tokens import count_messages
from processing import lifecycle
from processing.answers import validate_answer
from processing.budget import job_pause_for_budget, usd
from processing.dispatch import enqueue_batch_step, enqueue_runners
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
    """The variables an item asks: all when ``keys`` is None."""
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


# --- Leases on a batch's work ------------------------------------------------------------


class LeaseLost(Exception):
    """Another worker took this batch's work over (this one was too slow): stop."""


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease_end():
    return timezone.now() + timedelta(seconds=lease_seconds())


def _take(batch_id: int, worker: str) -> ProviderBatch | None:
    """The batch's row, read again once ``worker`` holds its work (no other worker's
    lease runs); None when it is held elsewhere or already collected. Every decision
    is made on this fresh row, never on one read before the lease was taken."""
    now = timezone.now()
    taken = (
        ProviderBatch.objects.filter(pk=batch_id, collected_at__isnull=True)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(worker=worker))
        .update(worker=worker, lease_expires_at=_lease_end())
    )
    return ProviderBatch.objects.filter(pk=batch_id).first() if taken else None


def _let_go(batch: ProviderBatch) -> None:
    ProviderBatch.objects.filter(pk=batch.pk, worker=batch.worker).update(
        worker="", lease_expires_at=None
    )


def _save(batch: ProviderBatch, **fields) -> None:
    """Write what just happened to ``batch`` at once (autocommitted: the next step may
    be a request a killed worker must not repeat), and renew the lease; LeaseLost if
    another worker holds it now, which then goes on from what it reads."""
    saved = ProviderBatch.objects.filter(pk=batch.pk, worker=batch.worker).update(
        lease_expires_at=_lease_end(), **fields
    )
    if not saved:
        raise LeaseLost(f"batch {batch.pk} is held by another worker now")
    for name, value in fields.items():
        setattr(batch, name, value)


# --- Submitting --------------------------------------------------------------------------


def _pending_for_batch(job: ProcessingJob):
    """Documents waiting for a batch: pending and never in one (those a batch sent back
    wait for live runners)."""
    return JobDocument.objects.filter(job=job, status=ItemStatus.PENDING, batch__isnull=True)


def _reserve(job: ProcessingJob, batch: ProviderBatch, amount: Decimal) -> bool:
    """Hold the batch's estimated cost against the job's budget; False when the job
    stopped, or (the job paused, with the figures) when it does not fit."""
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
        if budget is None or row["cost_usd"] + row["reserved_usd"] + amount <= budget:
            ProcessingJob.objects.filter(pk=job.pk).update(reserved_usd=F("reserved_usd") + amount)
            _save(batch, reserved_usd=amount)
            return True
    cost, reserved = row["cost_usd"], row["reserved_usd"]
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
    oversize: str = ""  # why a document cannot go in any file (it goes live instead)

    def add(self, lines: list[tuple[Request, bytes]]) -> None:
        for request, line in lines:
            self.spool.write(line)
            self.lines += 1
            self.size += len(line)
            self.requests.append(request)
        self.documents += 1

    def content(self) -> bytes:
        self.spool.seek(0)
        return self.spool.read()


def _new_file() -> Built:
    return Built(spool=tempfile.SpooledTemporaryFile(max_size=32 * 1024**2), requests=[])


def _cached(call: PreparedCall, config: ProviderConfig) -> dict | None:
    if not settings.LLM_CACHE_ENABLED:
        return None
    hit = records.cached_success(
        request_hash=call.request_hash, model=call.model, base_url=config.base_url
    )
    return hit.response if hit is not None else None


def _file_lines(
    requests: list[Request], config, answered: set[str] | None = None
) -> list[tuple[Request, bytes]]:
    """The input file's lines of a document's requests, those the cache cannot answer
    (``answered``: the hashes it answers, when already looked up for many at once)."""
    if answered is None:
        answered = _answered(requests, config)
    return [
        (r, batch_api.request_line(r.call, custom_id=r.custom_id, config=config))
        for r in requests
        if r.call.request_hash not in answered
    ]


def _answered(requests: list[Request], config) -> set[str]:
    """The request hashes among ``requests`` the response cache answers (one query)."""
    if not settings.LLM_CACHE_ENABLED or not requests:
        return set()
    return records.cached_hashes(
        request_hashes=[r.call.request_hash for r in requests],
        model=requests[0].call.model,
        base_url=config.base_url,
    )


def _fill(job: ProcessingJob, version: SchemaVersion, batch: ProviderBatch, config) -> Built | None:
    """Claim pending documents into ``batch`` up to the file limits, writing their
    requests into the input file as they come; None when no document was left.

    Each item's ``asked`` keys (what the version lacks for it) and request hashes are
    written with the claim: the requests are built again from the item alone (by a
    worker that resumes this submission, and at collection), and an answer is used
    only if its request is still the one sent."""
    max_requests, max_bytes = batch_api.file_limits()
    built = _new_file()
    while True:
        page = list(_pending_for_batch(job).order_by("id").select_related("document")[:_PAGE])
        if not page:
            break
        held = held_keys(
            version_id=version.pk,
            model=job.model,
            keys=version.variable_keys,
            document_ids=[item.document_id for item in page],
        )
        chosen: dict[int, tuple[JobDocument, list[tuple[Request, bytes]]]] = {}
        lines = size = 0
        full = False
        page_requests = {}
        for item in page:
            has = held.get(item.document_id, frozenset())
            keys = [key for key in version.variable_keys if key not in has]
            item.asked = None if len(keys) == len(version.variable_keys) else keys
            page_requests[item.pk] = item_requests(job, version, item)
        answered = _answered([r for rs in page_requests.values() for r in rs], config)
        for item in page:
            requests = page_requests[item.pk]
            item.batch_requests = [request.call.request_hash for request in requests]
            wanted = _file_lines(requests, config, answered)
            add = sum(len(line) for _, line in wanted)
            alone_too_big = len(wanted) > max_requests or add > max_bytes
            if built.documents or chosen:
                if alone_too_big or (
                    built.lines + lines + len(wanted) > max_requests
                    or built.size + size + add > max_bytes
                ):
                    full = True
                    break
            elif alone_too_big:
                # No file can hold it: this batch takes it alone and sends it live.
                built.oversize = (
                    f"{item.document.name}: {len(wanted)} request(s), {add:,} bytes, more "
                    f"than a batch file holds ({max_requests:,} requests, {max_bytes:,} "
                    "bytes); sent through the live path."
                )
                chosen[item.pk] = (item, [])
                full = True
                break
            chosen[item.pk] = (item, wanted)
            lines += len(wanted)
            size += add
        if chosen:
            lifecycle.items_claim_for_batch(job_id=job.pk, item_ids=list(chosen), batch=batch)
            mine = set(batch.items.filter(pk__in=list(chosen)).values_list("pk", flat=True))
            claimed = [item for pk, (item, _) in chosen.items() if pk in mine]
            JobDocument.objects.bulk_update(claimed, ["asked", "batch_requests"])
            for pk, (_item, wanted) in chosen.items():
                if pk in mine:
                    built.add(wanted)
            _save(batch)  # a page done: the lease goes on
        if full or not chosen:
            break
    return built if built.documents else None


def _rebuilt(job, version, batch: ProviderBatch, config) -> Built:
    """The input file of a batch whose submission a stopped worker left before the
    upload, from the items it holds."""
    built = _new_file()
    held = batch.items.filter(status=ItemStatus.RUNNING).select_related("document").order_by("id")
    for item in held.iterator(chunk_size=_PAGE):
        built.add(_file_lines(item_requests(job, version, item), config))
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
        if not built.documents:
            # A worker stopped before this row held any document: nothing to submit.
            batch.delete()
            return
        if built.oversize:
            _end(batch, BatchStatus.FAILED, built.oversize)
            return
        content = built.content()
        _save(batch, requests=built.lines, bytes=len(content))
        if built.lines == 0:
            # The cache answers every request: collected at once, nothing is sent.
            _end(batch, BatchStatus.COMPLETED)
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
    """A batch that will not be submitted (the budget refused it, or the job stopped)
    gives its documents back, untouched, and goes away; a cancelled job's are cancelled."""
    with transaction.atomic():
        lifecycle.items_unclaim_batch(batch=batch)
        batch.delete()
        if _job_status(job.pk) == Status.CANCELLING:
            lifecycle.items_cancel_pending(job_id=job.pk)


def _end(batch: ProviderBatch, status: str, error: str = "") -> None:
    """The batch will change no more (here, or at the provider): it is collected next."""
    fields = {"status": status, "ended_at": batch.ended_at or timezone.now()}
    if error:
        fields["error"] = error[:2000]
    _save(batch, **fields)


def _submit_all(job: ProcessingJob, version: SchemaVersion, config, worker: str) -> None:
    """Finish the submissions a stopped worker left, then submit what is pending."""
    unsubmitted = job.batches.filter(
        status__in=[BatchStatus.PREPARING, BatchStatus.SUBMITTING], collected_at__isnull=True
    ).values_list("pk", flat=True)
    for batch_id in unsubmitted:
        _work_on(job, batch_id, worker, lambda batch: _submit(job, version, batch, config))
    while _job_status(job.pk) == Status.RUNNING and _pending_for_batch(job).exists():
        batch = ProviderBatch.objects.create(
            job=job, token=uuid.uuid4().hex, worker=worker, lease_expires_at=_lease_end()
        )

        def fill_and_submit(batch: ProviderBatch) -> None:
            built = _fill(job, version, batch, config)
            if built is None:
                batch.delete()  # another step took them first
            else:
                _submit(job, version, batch, config, built)

        if not _work_on(job, batch.pk, worker, fill_and_submit):
            return  # a problem is logged; the next poll goes on


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
    """Ask the provider to stop ``batch`` (noted first: asked once). A batch that ended
    meanwhile refuses: its answers are then collected as they are."""
    _save(batch, cancel_requested=True)
    try:
        _record_state(batch, batch_api.cancel_batch(config, batch.provider_id))
    except (LLMError, TransientFailure) as exc:
        if isinstance(exc, batch_api.BatchGoneError):
            raise
        _poll(batch, config)  # ended already (409/400), or a passing failure
    job_log(job, "batch_cancelling", f"Asked the provider to cancel batch {batch.provider_id}.")


def _overdue(batch: ProviderBatch) -> bool:
    """A submitted batch past its 24 h window and an hour's grace, or one whose
    submission has failed for an hour: given up on, its documents sent back."""
    now = timezone.now()
    if batch.submitted_at is not None:
        return now - batch.submitted_at > timedelta(hours=25)
    return now - batch.created_at > timedelta(hours=1)


# --- Collecting --------------------------------------------------------------------------


def _answers_for(
    item: JobDocument,
    requests: list[Request],
    results: batch_api.ResultFile,
    *,
    batch: ProviderBatch,
    config,
) -> tuple[dict[str, BatchAnswer | dict], list]:
    """Each request's answer (a result line read, or the cache's data) and the ledger
    rows of the lines that ran; a request with neither is missing from the mapping.
    Lines of requests that changed since they were sent are billed, not used."""
    answers: dict[str, BatchAnswer | dict] = {}
    ledger = []
    context = {
        "purpose": "extraction",
        "project_id": item.job.project_id,
        "job_id": item.job_id,
        "document_id": item.document_id,
    }
    sent = item.batch_requests or [request.call.request_hash for request in requests]
    same = sent == [request.call.request_hash for request in requests]
    row = {"batch_id": batch.provider_id, "base_url": config.base_url, "context": context}
    row["simulated"] = results.simulated
    for number, request_hash in enumerate(sent):
        custom_id = f"{item.pk}-{number}"
        line = results.get(custom_id)
        request = requests[number] if same else None
        if line is not None:
            answer = (
                batch_api.read_answer(line, request.call)
                if request is not None
                else batch_api.usage_only(
                    line, "The document or its schema changed since the batch was sent."
                )
            )
            if answer.status is not None:  # it ran (an expired batch's leftovers did not)
                ledger.append(
                    batch_api.ledger_row(
                        answer,
                        request_hash=request_hash,
                        model=item.job.model,
                        max_output_tokens=request.call.max_output_tokens if request else None,
                        **row,
                    )
                )
            if request is not None:
                answers[custom_id] = answer
        elif request is not None:
            cached = _cached(request.call, config)
            if cached is not None:
                answers[custom_id] = cached
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


def _problem(requests, answers, batch: ProviderBatch) -> tuple[str, bool]:
    """Why the document has no values, and whether asking again cannot help (a refusal,
    a request the provider rejects)."""
    for request in requests:
        answer = answers.get(request.custom_id)
        if isinstance(answer, BatchAnswer) and answer.error is not None:
            final = isinstance(answer.error, RefusalError | LLMRequestError)
            return answer.error.message, final
        if answer is None:
            name = batch.provider_id or batch.token
            reason = f" ({batch.error})" if batch.error else ""
            return f"Batch {name} ended {batch.status} without answering it{reason}.", False
    return "No usable answer in the batch.", False


def _collect_item(job, version, item: JobDocument, *, batch, results, config) -> str:
    """Record what ``batch`` answered for one document; returns ``done``, ``retry``,
    ``failed`` or ``cancelled``."""
    requests = item_requests(job, version, item)
    answers, ledger = _answers_for(item, requests, results, batch=batch, config=config)
    outcome = {
        "job": job,
        "item": item,
        "worker": lifecycle.batch_worker(batch.token),
        "ledger": ledger,
    }
    if _job_status(job.pk) == Status.CANCELLING:
        # Billed answers are in the ledger (and the cache); a cancelled job writes none.
        item_release(**outcome, status=ItemStatus.CANCELLED)
        return "cancelled"
    values = _values(item, version, requests, answers)
    if values is not None:
        item_complete(**outcome, version=version, values=values, asked=_asked(version, item.asked))
        return "done"
    reason, final = _problem(requests, answers, batch)
    if final or item.attempts >= settings.PROCESSING_MAX_ATTEMPTS:
        item_fail(**outcome, reason=f"Gave up after {item.attempts} attempt(s): {reason}")
        return "failed"
    item_give_back(**outcome, reason=reason)
    if settings.BATCH_FALLBACK == "batch":
        JobDocument.objects.filter(pk=item.pk, status=ItemStatus.PENDING).update(batch=None)
    return "retry"


def _collect(
    job: ProcessingJob,
    version: SchemaVersion,
    batch: ProviderBatch,
    config,
    deadline: float | None = None,
) -> int:
    """Record every answer of an ended batch; the documents it did not answer go back.
    Past ``deadline`` (a step's time is up) it stops between documents and queues the
    next step at once, which goes on with the documents left. Returns how many went
    back to live runners."""
    results = batch_api.ResultFile()
    tally = {"done": 0, "retry": 0, "failed": 0, "cancelled": 0}
    try:
        for file_id in (batch.error_file_id, batch.output_file_id):  # output lines win
            if file_id:
                results.add(config, file_id)
        held = batch.items.filter(status=ItemStatus.RUNNING).select_related("document", "job")
        for item in held.iterator(chunk_size=_PAGE):
            tally[
                _collect_item(job, version, item, batch=batch, results=results, config=config)
            ] += 1
            if sum(tally.values()) % _PAGE == 0:
                _save(batch)  # the lease goes on
                if deadline is not None and time.monotonic() > deadline:
                    _log_collected(job, batch, tally, partial=True)
                    with transaction.atomic():
                        enqueue_batch_step(job)
                    return _to_live(tally)
    finally:
        results.close()
    _release_reservation(job.pk, batch)
    _save(batch, collected_at=timezone.now())
    if results.simulated:
        ProcessingJob.objects.filter(pk=job.pk).update(simulated=True)
    if batch.input_file_id:
        batch_api.delete_file(config, batch.input_file_id)
    _log_collected(job, batch, tally)
    return _to_live(tally)


def _to_live(tally: dict[str, int]) -> int:
    return tally["retry"] if settings.BATCH_FALLBACK == "live" else 0


def _log_collected(
    job: ProcessingJob, batch: ProviderBatch, tally: dict[str, int], *, partial: bool = False
) -> None:
    again = "the live path" if settings.BATCH_FALLBACK == "live" else "the next batch"
    parts = [
        f"{tally['done']} document(s) done",
        f"{tally['retry']} sent to {again}",
        f"{tally['failed']} failed",
    ]
    if tally["cancelled"]:
        parts.append(f"{tally['cancelled']} cancelled")
    name = batch.provider_id or batch.token
    error = f" {batch.error}" if batch.error else ""
    if partial:
        job_log(
            job,
            "batch_collecting",
            f"Batch {name}: {', '.join(parts)} so far; the next step goes on.",
            data={"batch": batch.provider_id, **tally},
        )
        return
    job_log(
        job,
        f"batch_{batch.status}",
        f"Batch {name} {batch.get_status_display().lower()}: {', '.join(parts)}.{error}",
        level=ProcessingLog.Level.WARNING
        if tally["retry"] or tally["failed"]
        else ProcessingLog.Level.INFO,
        data={"batch": batch.provider_id, **tally, "request_counts": batch.request_counts},
    )


# --- One batch's work, whatever happens -----------------------------------------------------


def _work_on(job: ProcessingJob, batch_id: int, worker: str, action) -> bool:
    """Run ``action`` on the batch under this worker's lease; a problem with one batch
    never stops the job's others. Returns False when the action did not finish."""
    batch = _take(batch_id, worker)
    if batch is None:
        return True  # another worker has it
    try:
        action(batch)
        return True
    except LeaseLost:
        logger.warning("batch %s: taken over by another worker", batch_id)
    except batch_api.BatchUnavailableError as exc:
        _unavailable(job, batch, exc.message)
    except (LLMError, TransientFailure) as exc:
        _trouble(job, batch, exc)
    finally:
        _let_go(batch)
    return False


def _unavailable(job: ProcessingJob, batch: ProviderBatch, message: str) -> None:
    """No Batch API at the provider: this batch's documents fail with the reason and the
    job stops, as a missing API key stops a live job ("retry failed" starts again)."""
    for item in batch.items.filter(status=ItemStatus.RUNNING).select_related("job"):
        item_fail(job=job, item=item, worker=lifecycle.batch_worker(batch.token), reason=message)
    _release_reservation(job.pk, batch)
    _save(batch, status=BatchStatus.FAILED, error=message[:2000], collected_at=timezone.now())
    lifecycle.job_fail(job_id=job.pk, message=message)


def _trouble(job: ProcessingJob, batch: ProviderBatch, exc: Exception) -> None:
    """A provider problem with one batch: tried again at the next poll while it may
    pass; a submission the provider refuses for good (a 4xx answer: nothing was
    created), a batch it no longer knows, or one overdue ends the batch here, and its
    documents go back to the job."""
    message = exc.message if isinstance(exc, LLMError) else str(exc)
    unsubmitted = not batch.provider_id
    if isinstance(exc, LLMConfigurationError) and unsubmitted:
        _unavailable(job, batch, message)  # no key, a refused key: nothing can be sent
        return
    final = isinstance(exc, batch_api.BatchGoneError) or (
        unsubmitted and isinstance(exc, LLMError) and exc.permanent
    )
    if not (final or _overdue(batch)):
        logger.warning("batch %s of job %s: %s; trying again later", batch.pk, job.pk, message)
        return
    _end(batch, BatchStatus.EXPIRED if batch.provider_id else BatchStatus.FAILED, message)
    job_log(
        job,
        "batch_given_up",
        f"Batch {batch.provider_id or batch.token}: {message}",
        level=ProcessingLog.Level.WARNING,
    )


# --- The step --------------------------------------------------------------------------


def _job_status(job_id: int) -> str | None:
    return ProcessingJob.objects.filter(pk=job_id).values_list("status", flat=True).first()


def job_batch_step(*, job_id: int) -> None:
    """Everything a batch job needs now: submit, cancel, poll, collect, then give the
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
        config = provider_config()
    except LLMConfigurationError as exc:
        lifecycle.job_fail(job_id=job_id, message=exc.message)
        return
    deadline = time.monotonic() + settings.PROCESSING_TASK_SECONDS
    if job.status == Status.RUNNING:
        _submit_all(job, version, config, worker)
    handed_back = _advance_open(job, version, config, worker, deadline)
    if handed_back:
        _start_live_runners(job_id, handed_back)
    lifecycle.job_finish_if_done(job_id=job_id)


def _advance_open(job: ProcessingJob, version, config, worker: str, deadline: float) -> int:
    """Poll (or cancel) and collect the job's batches; returns the documents sent back
    to live runners."""
    open_ids = job.batches.filter(collected_at__isnull=True).values_list("pk", flat=True)
    collected: list[int] = []
    for batch_id in open_ids:

        def advance(batch: ProviderBatch) -> None:
            cancelling = _job_status(job.pk) == Status.CANCELLING
            if batch.status in (BatchStatus.PREPARING, BatchStatus.SUBMITTING):
                if cancelling:
                    _cancel_unsubmitted(job, batch, config)
                elif _overdue(batch) and batch.status == BatchStatus.PREPARING:
                    _end(batch, BatchStatus.FAILED, "Its submission did not succeed in an hour.")
                else:
                    return  # its submission goes on in _submit_all
            elif batch.status not in ProviderBatch.ENDED:
                if cancelling and not batch.cancel_requested:
                    _cancel(job, batch, config)
                else:
                    _poll(batch, config)
                    if batch.status not in ProviderBatch.ENDED and _overdue(batch):
                        _give_up_waiting(job, batch, config)
            if batch.status in ProviderBatch.ENDED:
                collected.append(_collect(job, version, batch, config, deadline))

        _work_on(job, batch_id, worker, advance)
    return sum(collected)


def _give_up_waiting(job: ProcessingJob, batch: ProviderBatch, config) -> None:
    """A batch past its window and grace that the provider still calls open: cancelled
    there (best effort), collected here with what it answered."""
    try:
        _record_state(batch, batch_api.cancel_batch(config, batch.provider_id))
    except (LLMError, TransientFailure) as exc:
        logger.warning("batch %s: cancel of an overdue batch failed: %s", batch.pk, exc)
    if batch.status not in ProviderBatch.ENDED:
        _end(batch, BatchStatus.EXPIRED, "Still not done 25 hours after submission.")


def _cancel_unsubmitted(job: ProcessingJob, batch: ProviderBatch, config) -> None:
    """A cancelled job's batch that was never submitted ends here; one whose submission
    was cut short is looked for at the provider first (and cancelled there)."""
    state = (
        batch_api.find_batch(config, token=batch.token)
        if batch.status == BatchStatus.SUBMITTING
        else None
    )
    if state is None:
        _end(batch, BatchStatus.CANCELLED)
        return
    _record_state(batch, state, submitted=True)
    if batch.status not in ProviderBatch.ENDED:
        _cancel(job, batch, config)


def _start_live_runners(job_id: int, documents: int) -> None:
    """Runners for the documents a batch just sent back (only those: runners already
    at work go on, and the sweeper replaces dead ones)."""
    job = ProcessingJob.objects.filter(pk=job_id, status=Status.RUNNING).first()
    if job is None:
        return
    count = min(
        settings.PROCESSING_PARALLEL_TASKS, -(-documents // settings.PROCESSING_THREADS_PER_TASK)
    )
    with transaction.atomic():
        enqueue_runners(job, count=count)


def open_batch_jobs() -> list[int]:
    """Batch jobs with something to do: documents waiting for a batch, batches to
    follow or collect, a cancellation to pass on."""
    waiting = JobDocument.objects.filter(
        job=OuterRef("pk"), status=ItemStatus.PENDING, batch__isnull=True
    )
    open_batches = ProviderBatch.objects.filter(job=OuterRef("pk"), collected_at__isnull=True)
    return list(
        ProcessingJob.objects.filter(
            mode=ProcessingJob.Mode.BATCH,
            status__in=[Status.QUEUED, Status.RUNNING, Status.CANCELLING, Status.PAUSED],
        )
        .filter(
            Q(Exists(waiting), status__in=[Status.QUEUED, Status.RUNNING])
            | Q(Exists(open_batches))
            | Q(status=Status.CANCELLING)
        )
        .order_by()
        .values_list("pk", flat=True)
    )
