"""Estimates of a run (steps 3 and 4, the API): the schema's token estimate over the
values the run would ask for, corrected by what a finished sample of the same version
really cost."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from django.db.models import QuerySet

from processing import reuse
from processing.models import JobDocument, ProcessingJob
from projects.models import Project
from schemas.changes import draft_changes
from schemas.estimate import STANDARD, Estimate, estimate_run
from schemas.models import SchemaVersion
from schemas.versions import schema_state


def _sample_ratios(version: SchemaVersion, model: str) -> tuple[float, float, int] | None:
    """Actual / estimated input and output tokens over the documents sampled so far,
    each estimated for the variables its item asked (a partial item asked fewer)."""
    items = JobDocument.objects.filter(
        job__schema_version=version,
        job__model=model,
        job__kind=ProcessingJob.Kind.SAMPLE,
        status=JobDocument.Status.DONE,
        llm_calls__gt=0,
    )
    # The latest item per document: a document sampled twice counts once, as it does
    # in the estimate it is compared with. Samples are small; the newest 2,000 items.
    latest: dict[int, tuple[int, int, list | None]] = {}
    newest_first = items.order_by("-pk").values_list(
        "document_id", "input_tokens", "output_tokens", "asked"
    )
    for document_id, input_tokens, output_tokens, asked in newest_first[:2000]:
        if document_id not in latest and len(latest) < 500:
            latest[document_id] = (input_tokens, output_tokens, asked)
    if not latest:
        return None
    keys = set(version.variable_keys)
    held = {pk: keys - set(asked) for pk, (_, _, asked) in latest.items() if asked is not None}
    actual = {
        "input": sum(tokens[0] for tokens in latest.values()),
        "output": sum(tokens[1] for tokens in latest.values()),
    }
    estimated = estimate_run(
        project=version.project,
        variables=version.variables,
        instructions=version.instructions,
        kind="full",
        document_ids=list(latest),
        held=held,
    )
    if not estimated.input_tokens or not estimated.output_tokens:
        return None
    return (
        (actual["input"] or 0) / estimated.input_tokens,
        (actual["output"] or 0) / estimated.output_tokens,
        len(latest),
    )


def _documents(project: Project, document_ids: Collection[int] | QuerySet | None) -> QuerySet:
    documents = project.documents.ready()
    return documents if document_ids is None else documents.filter(pk__in=document_ids)


def job_estimate(
    *,
    project: Project,
    version: SchemaVersion,
    kind: str,
    sample_size: int | None = None,
    document_ids: Collection[int] | QuerySet | None = None,
    mode: str = STANDARD,
) -> Estimate:
    """The estimate shown before a run of ``version`` and stored on the job: only the
    values the version lacks are asked (``reuse.py``); what it holds is counted as
    ``carried_values``. ``mode``: the price its ``cost_usd`` is given at."""
    options = {
        "kind": kind,
        "sample_size": sample_size,
        "document_ids": document_ids,
        "mode": mode,
    }
    return job_estimates(project=project, version=version, runs={kind: options})[kind]


def job_estimates(
    *, project: Project, version: SchemaVersion, runs: dict[str, dict]
) -> dict[str, Estimate]:
    """Several runs of ``version`` estimated at once (step 4 shows a sample and the full
    run): the values held and the sample's correction are read once. ``runs`` maps a
    name to ``estimate_run``'s ``kind``, ``sample_size``, ``document_ids`` and ``mode``;
    the held values are read for the one run's documents, or every ready document for
    several."""
    model = project.model_name
    only = next(iter(runs.values())).get("document_ids") if len(runs) == 1 else None
    held = reuse.held_keys(
        version_id=version.pk,
        model=model,
        keys=version.variable_keys,
        document_ids=_documents(project, only).values("pk"),
    )
    ratios = _sample_ratios(version, model)
    return {
        name: _corrected_by_sample(
            estimate_run(
                project=project,
                variables=version.variables,
                instructions=version.instructions,
                held=held,
                **options,
            ),
            ratios,
        )
        for name, options in runs.items()
    }


def _corrected_by_sample(estimate: Estimate, ratios: tuple[float, float, int] | None) -> Estimate:
    """The estimate with its tokens scaled by what the sample really used; its cost
    follows its tokens (``Estimate.cost_usd``), in its mode."""
    if ratios is None:
        return estimate
    input_ratio, output_ratio, sampled = ratios
    return replace(
        estimate,
        input_tokens=round(estimate.input_tokens * input_ratio),
        output_tokens=round(estimate.output_tokens * output_ratio),
        basis=f"token counts corrected by {sampled} sampled document(s)",
    )


def draft_estimate(
    *, project: Project, kind: str, sample_size: int | None = None, mode: str = STANDARD
) -> Estimate:
    """What the next run of ``kind`` costs if the draft is confirmed now (``draft_estimates``)."""
    estimates = draft_estimates(project=project, kinds=(kind,), sample_size=sample_size, mode=mode)
    return estimates[kind]


def draft_estimates(
    *,
    project: Project,
    kinds: tuple[str, ...],
    sample_size: int | None = None,
    mode: str = STANDARD,
) -> dict[str, Estimate]:
    """What the next runs cost if the draft is confirmed now (step 3 and the API's
    ``/estimate/``): the current version's runs when the draft is that version; else
    runs of the new version, which would hold the current version's values of its
    unchanged variables (carried on confirming) and ask only for the rest. The draft
    and the values held are read once for every kind. ``mode``: the price each
    estimate's ``cost_usd`` is given at."""
    state = schema_state(project)
    runs = {kind: {"kind": kind, "sample_size": sample_size, "mode": mode} for kind in kinds}
    if state.current is not None and not state.dirty:
        return job_estimates(project=project, version=state.current, runs=runs)
    held: dict[int, frozenset[str]] = {}
    changes = draft_changes(state)
    if state.current is not None and changes and changes["unchanged"]:
        held = reuse.held_keys(
            version_id=state.current.pk,
            model=project.model_name,
            keys=changes["unchanged"],
            document_ids=project.documents.ready().values("pk"),
        )
    return {
        kind: estimate_run(
            project=project,
            variables=state.variables,
            instructions=project.instructions,
            held=held,
            **options,
        )
        for kind, options in runs.items()
    }
