"""Recording what became of a claimed document: its values and the item's status in one
transaction that only commits while the runner still holds the item (the transitions of
``lifecycle.py``, guarded by ``item_held``), the job's counters and spend with it.

Every outcome (done, failed, given back, released) adds the document's spend from the
gateway's ledger (failed and truncated calls cost money too) and clears what the claim
held against the job's budget (``budget.py``), so ``cost_usd`` ends equal to the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from extractor.llm.models import LLMCall
from extractor.text import without_nul
from processing import lifecycle
from processing.budget import JobBudget
from processing.lifecycle import job_log
from processing.models import Extraction, JobDocument, ProcessingJob, ProcessingLog
from schemas.models import SchemaVersion

ItemStatus = JobDocument.Status


@dataclass(frozen=True)
class Spend:
    llm_calls: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal("0")
    simulated: bool = False


def spend_of(rows: list[LLMCall]) -> Spend:
    """What ledger rows not written yet add up to (a batch's answers of one document)."""
    return Spend(
        llm_calls=sum(1 for row in rows if row.outcome != LLMCall.Outcome.CACHED),
        input_tokens=sum(row.prompt_tokens for row in rows),
        cached_tokens=sum(row.cached_tokens for row in rows),
        output_tokens=sum(row.completion_tokens for row in rows),
        cost_usd=sum((row.cost_usd for row in rows), Decimal("0")),
        simulated=any(row.simulated for row in rows),
    )


def _added(a: Spend, b: Spend) -> Spend:
    return Spend(
        llm_calls=a.llm_calls + b.llm_calls,
        input_tokens=a.input_tokens + b.input_tokens,
        cached_tokens=a.cached_tokens + b.cached_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        cost_usd=a.cost_usd + b.cost_usd,
        simulated=a.simulated or b.simulated,
    )


def _spend_since(*, job_id: int, document_id: int, since) -> Spend:
    """What the provider billed for this document since the item was claimed, read from
    the gateway's ledger: failed and truncated calls cost money too. Answers served from
    the cache cost nothing (their rows hold zeros) but still say whether the answer was
    simulated."""
    totals = LLMCall.objects.filter(
        job_id=job_id, document_id=document_id, created_at__gte=since
    ).aggregate(
        calls=Count("id", filter=~Q(outcome=LLMCall.Outcome.CACHED)),
        prompt=Sum("prompt_tokens"),
        cached=Sum("cached_tokens"),
        completion=Sum("completion_tokens"),
        cost=Sum("cost_usd"),
        simulated=Count("id", filter=Q(simulated=True)),
    )
    return Spend(
        llm_calls=totals["calls"] or 0,
        input_tokens=totals["prompt"] or 0,
        cached_tokens=totals["cached"] or 0,
        output_tokens=totals["completion"] or 0,
        cost_usd=totals["cost"] or Decimal("0"),
        simulated=bool(totals["simulated"]),
    )


def _extraction_rows(
    *, job: ProcessingJob, version: SchemaVersion, document_id: int, values: dict, asked: list
) -> list[Extraction]:
    rows = []
    for variable in asked:
        value = values.get(variable["key"])
        rows.append(
            Extraction(
                document_id=document_id,
                schema_version=version,
                job=job,
                variable_key=variable["key"],
                # A NUL in a model's answer would make PostgreSQL refuse the whole row.
                value=without_nul(value.value) if value else None,
                raw=without_nul(value.raw) if value else None,
                evidence=without_nul(value.evidence or "") if value else "",
                evidence_start=value.evidence_start if value else None,
                evidence_end=value.evidence_end if value else None,
                confidence=value.confidence if value else None,
                status=value.status if value else Extraction.Status.ERROR,
                evidence_check=value.evidence_check if value else "",
                message=without_nul(value.message or "")
                if value
                else "No answer for this variable.",
                model=job.model,
                carried_from=None,
            )
        )
    return rows


EXTRACTION_MODEL_FIELDS = [
    "job",
    "value",
    "raw",
    "evidence",
    "evidence_start",
    "evidence_end",
    "confidence",
    "status",
    "evidence_check",
    "message",
    "model",
    "carried_from",  # a value asked again (another model) is this version's own
    "sort_number",
    "sort_text",
    "updated_at",
]


def _counter_updates(spend: Spend, budget: JobBudget | None, **extra) -> dict:
    """The job row's share of an item's outcome. With a budget, the calls' costs were
    added as they settled (``budget.charged``) and what the item still holds goes back;
    the ledger's figure stays the truth, so only the difference is added."""
    updates = {
        "llm_calls": F("llm_calls") + spend.llm_calls,
        "input_tokens": F("input_tokens") + spend.input_tokens,
        "cached_tokens": F("cached_tokens") + spend.cached_tokens,
        "output_tokens": F("output_tokens") + spend.output_tokens,
        "cost_usd": F("cost_usd") + (spend.cost_usd - (budget.charged if budget else 0)),
        "heartbeat_at": timezone.now(),
        **extra,
    }
    if budget is not None and budget.reserved:
        updates["reserved_usd"] = F("reserved_usd") - budget.reserved
    if spend.simulated:
        updates["simulated"] = True
    return updates


# An item's outcome clears what its claim held against the job's budget (budget.py).
_BUDGET_CLEARED = {"reserved_usd": 0, "charged_usd": 0}


def _attempt_refund(spend: Spend) -> dict:
    """A claim that sent nothing to the provider (a budget refusal, a pause or cancel
    before the first call) does not count among the document's attempts."""
    return {"attempts": F("attempts") - 1} if spend.llm_calls == 0 else {}


def _spent(spend: Spend) -> dict:
    """What a finished item records of its document's calls."""
    return {
        "llm_calls": spend.llm_calls,
        "input_tokens": spend.input_tokens,
        "output_tokens": spend.output_tokens,
        "cost_usd": spend.cost_usd,
    }


def _item_close(
    *,
    job: ProcessingJob,
    item: JobDocument,
    worker: str,
    budget: JobBudget | None,
    move: Callable[..., bool],
    fields: Callable[[Spend], dict],
    counts: dict | None = None,
    write: Callable[[], None] | None = None,
    ledger: list[LLMCall] | None = None,
) -> bool:
    """One outcome of a claimed item, in one transaction that only commits while this
    runner still holds it: the item's transition (``move``, a ``lifecycle`` function,
    with ``fields`` of the document's spend and the budget it held cleared), then
    ``ledger`` (a batch's answers for it, written with the outcome so a collection
    repeated after a crash records them once), ``write`` (the values), then the job's
    counters."""
    spend = _spend_since(job_id=job.pk, document_id=item.document_id, since=item.started_at)
    if ledger:
        spend = _added(spend, spend_of(ledger))
    with transaction.atomic():
        if not move(item=item, worker=worker, **fields(spend), **_BUDGET_CLEARED):
            return False
        if ledger:
            LLMCall.objects.bulk_create(ledger)
        if write is not None:
            write()
        ProcessingJob.objects.filter(pk=job.pk).update(
            **_counter_updates(spend, budget, **(counts or {}))
        )
    return True


def item_complete(
    *,
    job: ProcessingJob,
    version: SchemaVersion,
    item: JobDocument,
    worker: str,
    values: dict,
    budget: JobBudget | None = None,
    asked: list[dict] | None = None,
    ledger: list[LLMCall] | None = None,
) -> bool:
    """Write the values of the ``asked`` variables (default: all the version's) and mark
    the item done, atomically; values whose evidence is not found or does not support
    them count as the job's ``flagged``. Values the document already held are left as
    they are."""
    now = timezone.now()
    asked = version.variables if asked is None else asked
    flagged = sum(1 for variable in asked if getattr(values.get(variable["key"]), "flagged", False))
    # Null when the item asked every variable: only a partial item names its keys.
    asked_keys = None if len(asked) == len(version.variables) else [v["key"] for v in asked]

    def write_values() -> None:
        rows = _extraction_rows(
            job=job, version=version, document_id=item.document_id, values=values, asked=asked
        )
        for row in rows:
            row.updated_at = now
            row.refresh_sort_keys()
        # A value asked again (it was held with another model) replaces the model's side:
        # a check of the old value does not vouch for the new one. A person's own answers
        # (a correction, a blind entry) stay beside it.
        Extraction.objects.filter(
            document_id=item.document_id,
            schema_version=version,
            variable_key__in=[row.variable_key for row in rows],
            verified=True,
        ).update(verified=False)
        Extraction.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["document", "schema_version", "variable_key"],
            update_fields=EXTRACTION_MODEL_FIELDS,
        )

    return _item_close(
        job=job,
        item=item,
        worker=worker,
        budget=budget,
        move=lifecycle.item_done,
        fields=lambda spend: {
            "finished_at": now,
            "error": "",
            "asked": asked_keys,
            **_spent(spend),
        },
        counts={
            "processed": F("processed") + 1,
            "succeeded": F("succeeded") + 1,
            **({"flagged": F("flagged") + flagged} if flagged else {}),
        },
        write=write_values,
        ledger=ledger,
    )


def item_give_back(
    *,
    job: ProcessingJob,
    item: JobDocument,
    worker: str,
    reason: str,
    budget: JobBudget | None = None,
    refused: bool = False,
    ledger: list[LLMCall] | None = None,
) -> bool:
    """A transient failure with attempts left, or (``refused``) a call the budget could
    not admit yet: the item goes back to the queue."""
    won = _item_close(
        job=job,
        item=item,
        worker=worker,
        budget=budget,
        move=lifecycle.item_give_back,
        fields=lambda spend: {"error": reason, **(_attempt_refund(spend) if refused else {})},
        ledger=ledger,
    )
    if won:
        job_log(
            job,
            "item_retry",
            f"Will retry: {reason}",
            level=ProcessingLog.Level.WARNING,
            document_id=item.document_id,
            data={"attempt": item.attempts},
        )
    return won


def item_fail(
    *,
    job: ProcessingJob,
    item: JobDocument,
    worker: str,
    reason: str,
    budget: JobBudget | None = None,
    ledger: list[LLMCall] | None = None,
) -> bool:
    """An error retrying cannot fix, or the last attempt: the item fails, and what its
    calls cost is recorded all the same."""
    won = _item_close(
        job=job,
        item=item,
        worker=worker,
        budget=budget,
        move=lifecycle.item_fail,
        fields=lambda spend: {"error": reason, **_spent(spend)},
        counts={"processed": F("processed") + 1, "failed": F("failed") + 1},
        ledger=ledger,
    )
    if won:
        job_log(
            job,
            "item_failed",
            reason,
            level=ProcessingLog.Level.ERROR,
            document_id=item.document_id,
            data={"attempts": item.attempts},
        )
    return won


def item_release(
    *,
    job: ProcessingJob,
    item: JobDocument,
    worker: str,
    status: str,
    budget: JobBudget | None = None,
    ledger: list[LLMCall] | None = None,
) -> None:
    """Cancelled or paused mid-document: no values are written; a paused job's item goes
    back to pending, a cancelled job's item is cancelled. Calls already answered for it
    were billed, so they count in the job's spend (and come back from the cache)."""
    _item_close(
        job=job,
        item=item,
        worker=worker,
        budget=budget,
        move=lifecycle.item_give_back if status == ItemStatus.PENDING else lifecycle.item_cancel,
        fields=_attempt_refund,
        ledger=ledger,
    )
