"""A methods paragraph for a paper, written from the facts of one export.

``methods_text`` is a pure function over a plain dict (``exports.package.methods_facts``
builds it from the database), so every sentence can be tested with fixed facts and every
number in it comes from the data, never from a model. The wording stays descriptive:
it says what was done and counted, and does not judge whether the figures are good.

The facts (missing keys read as "not known" and their sentence is left out):

- ``schema_version`` (int), ``prompt_versions`` (the versions whose prompts produced
  values), ``prompt_hash``, ``variables`` (``[{key, label, type}]``)
- ``models`` (list), ``structured_output`` (``json_schema`` or ``json_object``)
- ``jobs``: ``[{id, kind, mode, model, sample_size, seed, started_at, finished_at}]``
- ``first_started_at``, ``last_finished_at``: ISO 8601 strings or None
- ``documents``, ``documents_coded``, ``documents_failed``, ``documents_not_processed``,
  ``documents_pending``
- ``values``, ``values_verified``, ``values_corrected``, ``values_carried``,
  ``carried_from_versions``, ``documents_checked``
- ``agreement``: the API's per-variable figures ``[{key, n_verified, n_agree,
  agreement, kappa}]``; ``reliability``: ``version_reliability``'s dict or None
- ``llm_calls``, ``input_tokens``, ``cached_input_tokens``, ``output_tokens``,
  ``cost_usd``, ``simulated``, ``exported_at``
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SIMULATED_WARNING = (
    "> **Simulated values.** The values in this dataset were produced, in whole or in "
    "part, by the workbench's built-in simulated model, not by a language model reading "
    "the documents. They say nothing about the documents and must not be reported as "
    "findings. Re-run the schema with a real model before using this text."
)
NO_AGREEMENT = (
    "Agreement between the model and people could not be computed: no value had been "
    "checked by a person at the time of export."
)


# --- number and word formatting ------------------------------------------------------------


def percent(part: int | float, whole: int | float) -> str:
    """``part`` of ``whole`` as a percentage with one decimal (``"62.5%"``)."""
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def share(value: float | None) -> str:
    """A proportion (0..1) as a percentage with one decimal; ``n/a`` when undefined."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``"1 document"``, ``"1,234 documents"``: thousands separated for a reader."""
    word = noun if number == 1 else (plural or noun + "s")
    return f"{number:,} {word}"


def listing(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def coefficient(value: float | None) -> str:
    """A kappa or alpha with two decimals, ``n/a`` when undefined."""
    return "n/a" if value is None else f"{value:.2f}"


def money(usd: float) -> str:
    """USD with cents, or four decimals under a dollar (a small run costs fractions)."""
    return f"USD {usd:,.2f}" if usd >= 1 or usd == 0 else f"USD {usd:.4f}"


def day(iso: str | None) -> str | None:
    """``"12 March 2025"`` (UTC) from an ISO 8601 timestamp; None when there is none."""
    if not iso:
        return None
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment.day} {moment:%B %Y}"


def period(start: str | None, end: str | None) -> str | None:
    """``"on 12 March 2025"`` or ``"between 12 and 14 March 2025"``-like wording."""
    first, last = day(start), day(end)
    if first and last and first != last:
        return f"between {first} and {last}"
    if first or last:
        return f"on {first or last}"
    return None


# --- the paragraphs ----------------------------------------------------------------------


def _models_sentence(facts: Mapping[str, Any]) -> str:
    models = [f"`{model}`" for model in facts.get("models") or []]
    noun = "large language model" if len(models) == 1 else "large language models"
    who = f"the {noun} {listing(models)}" if models else "a large language model"
    mode = (
        "with structured output constrained to a JSON Schema"
        if facts.get("structured_output") == "json_schema"
        else "asked for a JSON object that was validated against a JSON Schema"
    )
    when = period(facts.get("first_started_at"), facts.get("last_finished_at"))
    return f"Documents were coded with {who} through an OpenAI-compatible API, {mode}" + (
        f", {when} (UTC)." if when else "."
    )


def _runs_sentence(jobs: Iterable[Mapping[str, Any]]) -> str:
    parts = []
    for job in jobs:
        if job.get("kind") == "sample":
            size = job.get("sample_size")
            what = f"a random sample of n = {size:,} documents" if size else "a sample"
            seed = f" (seed {job['seed']})" if job.get("seed") is not None else ""
            parts.append(f"{what}{seed}")
        else:
            parts.append("the full corpus")
        if job.get("mode") == "batch":
            parts[-1] += " through the provider's Batch API"
    if not parts:
        return ""
    if len(parts) == 1:
        return f"The prompt was run once, on {parts[0]}."
    times = "twice" if len(parts) == 2 else f"{len(parts):,} times"
    return f"The prompt was run {times}: on {listing(parts)}."


def _documents_sentence(facts: Mapping[str, Any]) -> str:
    total, coded = facts.get("documents") or 0, facts.get("documents_coded") or 0
    text = (
        f"Of the project's {count(total, 'document')}, {coded:,} ({percent(coded, total)}) "
        f"were coded with schema version {facts.get('schema_version')}"
    )
    failed = facts.get("documents_failed") or 0
    waiting = facts.get("documents_not_processed") or 0
    rest = []
    if failed:
        rest.append(f"{failed:,} could not be read or coded")
    if waiting:
        rest.append(f"{waiting:,} had not been coded with this version")
    pending = facts.get("documents_pending") or 0
    if pending:
        rest.append(f"{pending:,} were still being read")
    return text + ("; " + " and ".join(rest) if rest else "") + "."


def _schema_sentence(facts: Mapping[str, Any]) -> str:
    variables = facts.get("variables") or []
    names = listing([f"`{v['key']}` ({v['type']})" for v in variables])
    digest = facts.get("prompt_hash") or ""
    text = (
        f"The codebook (schema version {facts.get('schema_version')}, prompt hash "
        f"`{digest[:12]}`) has {count(len(variables), 'variable')}: {names}. "
        "For every variable the model gave a value, a verbatim quote from the document "
        "as evidence and a confidence; its exact prompts and JSON Schema are in `prompts/`."
    )
    carried = facts.get("values_carried") or 0
    sources = [str(number) for number in facts.get("carried_from_versions") or []]
    if carried and sources:
        noun = "version" if len(sources) == 1 else "versions"
        text += (
            f" {count(carried, 'value')} were carried unchanged from schema {noun} "
            f"{listing(sources)}, whose variables read exactly the same to the model."
        )
    return text


def _review_paragraph(facts: Mapping[str, Any]) -> str:
    values = facts.get("values") or 0
    verified = facts.get("values_verified") or 0
    corrected = facts.get("values_corrected") or 0
    checked = verified + corrected
    if not checked:
        return (
            f"None of the {count(values, 'value')} was checked by a person: the dataset "
            "holds the model's values as given."
        )
    documents = facts.get("documents_checked") or 0
    return (
        f"In n = {count(documents, 'document')} checked by a person, {checked:,} of the "
        f"dataset's {count(values, 'value')} ({percent(checked, values)}) were checked: "
        f"{verified:,} were confirmed as the model gave them and {corrected:,} were "
        f"corrected ({percent(corrected, checked)} of the checked values). Where a person "
        "corrected a value, the dataset holds the correction."
    )


def _agreement_paragraph(rows: Sequence[Mapping[str, Any]]) -> str:
    reviewed = [row for row in rows if row.get("n_verified")]
    if not reviewed:
        return NO_AGREEMENT
    n = sum(row["n_verified"] for row in reviewed)
    agree = sum(row["n_agree"] for row in reviewed)
    per_variable = []
    for row in reviewed:
        figure = f"`{row['key']}` {share(row.get('agreement'))} (n = {row['n_verified']:,}"
        if row.get("kappa") is not None:
            figure += f", Cohen's κ = {coefficient(row['kappa'])}"
        per_variable.append(figure + ")")
    return (
        "Agreement between the model and the people who checked it was computed on the "
        "checked values only, comparing values after normalisation by type (the person's "
        "answer before seeing the model's where they coded blind). Overall, "
        f"{agree:,} of {count(n, 'checked value')} agreed ({percent(agree, n)}). "
        f"Per variable: {listing(per_variable)}. These figures describe the checked values "
        "and need not hold for values nobody checked."
    )


def _reliability_paragraph(reliability: Mapping[str, Any] | None) -> str:
    if not reliability:
        return ""
    coders = reliability.get("coders") or []
    figures = []
    for row in reliability.get("variables") or []:
        text = f"`{row['variable']}` α = {coefficient(row.get('alpha'))}"
        low, high = row.get("alpha_ci95_low"), row.get("alpha_ci95_high")
        if low is not None and high is not None:
            text += f" (95% CI {coefficient(low)} to {coefficient(high)}"
        else:
            text += " (no interval"
        figures.append(text + (f", {row['level']} level)" if row.get("level") else ")"))
    completed = day(reliability.get("completed_at"))
    return (
        "Intercoder reliability was assessed in a coding round"
        + (f" completed on {completed}" if completed else "")
        + f" in which {count(len(coders), 'coder')}"
        + (f" ({listing(coders)})" if coders else "")
        + f" coded the same {count(reliability.get('units') or 0, 'document')} "
        f"independently. Krippendorff's alpha per variable, with bootstrap 95% confidence "
        f"intervals: {listing(figures) or 'none computed'}."
    )


def _cost_sentence(facts: Mapping[str, Any]) -> str:
    cached = facts.get("cached_input_tokens") or 0
    inputs = f"{facts.get('input_tokens') or 0:,} input tokens"
    if cached:
        inputs += f" ({cached:,} of them served from the provider's prompt cache)"
    return (
        f"The runs made {count(facts.get('llm_calls') or 0, 'model call')}, using {inputs} "
        f"and {facts.get('output_tokens') or 0:,} output tokens, at a cost of "
        f"{money(float(facts.get('cost_usd') or 0))}."
    )


def methods_text(facts: Mapping[str, Any]) -> str:
    """METHODS.md: a methods section in Markdown, every figure taken from ``facts``."""
    blocks = ["# Methods"]
    if facts.get("simulated"):
        blocks.append(SIMULATED_WARNING)
    coding = " ".join(
        part
        for part in (
            _models_sentence(facts),
            _runs_sentence(facts.get("jobs") or []),
            _documents_sentence(facts),
        )
        if part
    )
    blocks += [coding, _schema_sentence(facts), _review_paragraph(facts)]
    blocks.append(_agreement_paragraph(facts.get("agreement") or []))
    reliability = _reliability_paragraph(facts.get("reliability"))
    if reliability:
        blocks.append(reliability)
    blocks.append(_cost_sentence(facts))
    if facts.get("simulated"):
        blocks.append(SIMULATED_WARNING)
    stamp = f" on {day(facts['exported_at'])}" if facts.get("exported_at") else ""
    blocks.append(
        f"_Every number above was computed from the project's database at export{stamp}; "
        "none was written by a language model. Check the wording before using it._"
    )
    return "\n\n".join(blocks) + "\n"
