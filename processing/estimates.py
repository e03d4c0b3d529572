"""Estimates for step 4: the schema's token estimate, corrected by what a finished
sample of the same version really cost."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from decimal import Decimal

from django.db.models import QuerySet

from extractor.llm.pricing import cost_usd
from processing.models import JobDocument, ProcessingJob
from projects.models import Project
from schemas.estimate import Estimate, estimate_run
from schemas.models import SchemaVersion


def _sample_ratios(version: SchemaVersion, model: str) -> tuple[float, float, int] | None:
    """Actual / estimated input and output tokens over the documents sampled so far."""
    items = JobDocument.objects.filter(
        job__schema_version=version,
        job__model=model,
        job__kind=ProcessingJob.Kind.SAMPLE,
        status=JobDocument.Status.DONE,
        llm_calls__gt=0,
    )
    # The latest item per document: a document sampled twice counts once, as it does
    # in the estimate it is compared with. Samples are small; the newest 2,000 items.
    latest: dict[int, tuple[int, int]] = {}
    newest_first = items.order_by("-pk").values_list("document_id", "input_tokens", "output_tokens")
    for document_id, input_tokens, output_tokens in newest_first[:2000]:
        if document_id not in latest and len(latest) < 500:
            latest[document_id] = (input_tokens, output_tokens)
    if not latest:
        return None
    document_ids = list(latest)
    actual = {
        "input": sum(tokens[0] for tokens in latest.values()),
        "output": sum(tokens[1] for tokens in latest.values()),
    }
    estimated = estimate_run(
        project=version.project,
        variables=version.variables,
        instructions=version.instructions,
        kind="full",
        document_ids=document_ids,
    )
    if not estimated.input_tokens or not estimated.output_tokens:
        return None
    return (
        (actual["input"] or 0) / estimated.input_tokens,
        (actual["output"] or 0) / estimated.output_tokens,
        len(document_ids),
    )


def job_estimate(
    *,
    project: Project,
    version: SchemaVersion,
    kind: str,
    sample_size: int | None = None,
    document_ids: Collection[int] | QuerySet | None = None,
) -> Estimate:
    """The estimate shown before a run and stored on the job."""
    estimate = estimate_run(
        project=project,
        variables=version.variables,
        instructions=version.instructions,
        kind=kind,
        sample_size=sample_size,
        document_ids=document_ids,
    )
    ratios = _sample_ratios(version, project.model_name)
    if ratios is None:
        return estimate
    input_ratio, output_ratio, sampled = ratios
    input_tokens = round(estimate.input_tokens * input_ratio)
    output_tokens = round(estimate.output_tokens * output_ratio)
    cost = cost_usd(
        estimate.model,
        prompt_tokens=input_tokens,
        cached_tokens=0,
        completion_tokens=output_tokens,
    )
    return replace(
        estimate,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=float(cost.quantize(Decimal("0.000001"))),
        basis=f"token counts corrected by {sampled} sampled document(s)",
    )
