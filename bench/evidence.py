"""Evidence check benchmark: how many correct values it flags, and whether it flags every
planted mismatch, on the test corpus and on the bench corpus.

    .venv/bin/python bench/evidence.py [--documents 1000] [--variables 50] [--check]

No database: answers are validated in process with ``validate_answer`` (quote located,
then checked by its type), as the engine does for each call.

Test corpus (``schemas/tests/evidence_corpus.py``): documents in English, French, German
and Chinese with values a careful coder accepts and one planted mismatch per value (a
wrong value with the same quote, or for yes/no a quote without words).

Bench corpus: the 1,000 generated reports of ``bench/processing.py`` scenario C (seed
303) x its 50 variables, answered by the simulator (``extractor/simulator/answers.py``,
which quotes the sentence that says a value, and now and then makes a number or a date
up). Whether a value is correct is judged without the checker, by the simulator's own
readers and plain substring tests: a number or date is correct when the simulator's
reader finds it in the quote, a text or list when the quote contains it, a category
when the quote contains its name; yes/no values and categories the quote does not name
(a guess) are not judged. For every correct value one mismatch is planted (another
number or date the quote does not write, a phrase from another sentence, another
allowed value that is not a catch-all, for yes/no a quote of "."), and validated alone.
A planted text or option shares no four-letter word start with the quote: a quote that
mentions "the opposition party" does mention a word of "oppose", and the lenient rules
for categories and text leave such a value not_applicable on purpose.

Targets: false flags (a correct value flagged unsupported_evidence or evidence_mismatch)
under 2 % of correct values, every planted mismatch flagged. The last line is one JSON
object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from extractor.simulator.answers import AnswerMaker, _dates, _numbers  # noqa: E402
from processing.answers import FLAGGED_STATUSES, Status, validate_answer  # noqa: E402
from processing.evidence import EvidenceIndex  # noqa: E402
from schemas.prompts import json_schema_for  # noqa: E402
from schemas.tests.evidence_corpus import DOCUMENTS, planted_cases  # noqa: E402
from schemas.types.evidence import is_catch_all  # noqa: E402

TARGET_FALSE_FLAG_RATE = 0.02
SCENARIO_C_SEED = 303
JUDGED = ("correct", "wrong", "unjudged")


class Tally:
    """Values and flagged values per group (correct, wrong, unjudged, planted) and type."""

    def __init__(self) -> None:
        self.values: Counter = Counter()
        self.flagged: Counter = Counter()
        self.statuses: Counter = Counter()

    def add(self, group: str, kind: str, status: str) -> None:
        self.values[group] += 1
        self.values[(group, kind)] += 1
        if status in FLAGGED_STATUSES:
            self.flagged[group] += 1
            self.flagged[(group, kind)] += 1
            self.statuses[(group, status)] += 1

    def rate(self, group: str) -> float:
        return self.flagged[group] / self.values[group] if self.values[group] else 0.0

    def figures(self, group: str) -> dict[str, Any]:
        return {
            "values": self.values[group],
            "flagged": self.flagged[group],
            "rate": round(self.rate(group), 4),
            "unsupported_evidence": self.statuses[(group, Status.UNSUPPORTED_EVIDENCE)],
            "evidence_mismatch": self.statuses[(group, Status.EVIDENCE_MISMATCH)],
        }

    def by_type(self, group: str) -> dict[str, str]:
        kinds = sorted(
            {key[1] for key in self.values if isinstance(key, tuple) and key[0] == group}
        )
        return {k: f"{self.flagged[(group, k)]}/{self.values[(group, k)]}" for k in kinds}


def _validate_one(variable: dict, value: Any, quote: str, text: str, index) -> str:
    entry = {"value": value, "evidence": quote, "confidence": 0.9}
    result = validate_answer(
        variables=[variable], answer={variable["key"]: entry}, text=text, index=index
    )
    return result[variable["key"]].status


# --- the test corpus ------------------------------------------------------------------


def run_test_corpus() -> Tally:
    tally = Tally()
    for document in DOCUMENTS:
        index = EvidenceIndex(document.text)
        for case in document.cases:
            status = _validate_one(case.variable(), case.value, case.quote, document.text, index)
            tally.add("correct", case.type, status)
    for document, case in planted_cases():
        value, quote = case.planted
        index = EvidenceIndex(document.text)
        tally.add(
            "planted", case.type, _validate_one(case.variable(), value, quote, document.text, index)
        )
    return tally


# --- the bench corpus -----------------------------------------------------------------


def judge(variable: dict, value: Any, quote: str) -> str:
    """correct / wrong / unjudged, without the checker (module docstring)."""
    kind, lowered = variable["type"], quote.lower()
    if kind in ("integer", "number"):
        return "correct" if value in _numbers(quote) else "wrong"
    if kind == "date":
        return "correct" if value in _dates(quote) else "wrong"
    if kind == "text":
        return "correct" if str(value).lower() in lowered else "wrong"
    if kind == "list":
        return "correct" if all(str(item).lower() in lowered for item in value) else "wrong"
    if kind in ("category", "multi_category"):
        items = value if isinstance(value, list) else [value]
        named = all(str(item).replace("_", " ").lower() in lowered for item in items)
        return "correct" if named else "unjudged"
    return "unjudged"  # yes/no


def plant(variable: dict, value: Any, quote: str, text: str, rng: random.Random) -> tuple[Any, str]:
    """A wrong value for this quote (or, for yes/no, a quote without words)."""
    kind = variable["type"]
    if kind in ("integer", "number"):
        wrong = value + 1
        while wrong in _numbers(quote):
            wrong += 1
        return wrong, quote
    if kind == "date":
        day = dt.date.fromisoformat(value)
        while day.isoformat() in _dates(quote):
            day += dt.timedelta(days=1)
        return day.isoformat(), quote
    if kind in ("text", "list"):
        phrases = [_absent_phrase(text, quote, rng) for _ in range(1 if kind == "text" else 2)]
        return (phrases[0] if kind == "text" else list(dict.fromkeys(phrases))), quote
    if kind in ("category", "multi_category"):
        starts = _word_starts(quote)
        others = [
            option
            for option in variable["allowed_values"]
            if not any(word[:4] in starts for word in option.lower().split("_"))
            and not is_catch_all(option)
        ]
        wrong = rng.choice(others)
        return (wrong if kind == "category" else [wrong]), quote
    return value, "."  # yes/no


def _word_starts(quote: str) -> set[str]:
    return {word.strip(".,;:()'").lower()[:4] for word in quote.split()}


def _absent_phrase(text: str, quote: str, rng: random.Random) -> str:
    """One to three words of the document that share no four-letter start with a word
    of the quote ("signatories" is not planted against "signed")."""
    quoted = _word_starts(quote)
    words = [w.strip(".,;:()'") for w in text.split()]
    candidates = [w for w in words if len(w) > 3 and w.isalpha() and w.lower()[:4] not in quoted]
    if not candidates:
        return "Switzerland"
    start = rng.randrange(len(candidates))
    return " ".join(candidates[start : start + rng.randint(1, 3)])


def run_bench_corpus(documents: int, variable_count: int) -> tuple[Tally, float, Counter]:
    texts = common.make_texts(documents, seed=SCENARIO_C_SEED)
    variables = common.make_variables(variable_count)
    schema = json_schema_for(variables)
    tally, checks, seconds = Tally(), Counter(), 0.0
    for number, text in enumerate(texts):
        rng = random.Random(number)
        answer = AnswerMaker(text, rng, root_schema=schema).value(schema)
        index = EvidenceIndex(text)
        started = time.perf_counter()
        results = validate_answer(variables=variables, answer=answer, text=text, index=index)
        seconds += time.perf_counter() - started
        for variable in variables:
            entry, result = answer.get(variable["key"]) or {}, results[variable["key"]]
            quote = entry.get("evidence")
            if result.value is None or not quote:
                continue  # missing values and values without a quote are not checked
            checks[result.evidence_check or "not checked"] += 1
            group = judge(variable, result.value, quote)
            tally.add(group, variable["type"], result.status)
            if group == "correct" or variable["type"] == "boolean":
                value, planted_quote = plant(variable, result.value, quote, text, rng)
                status = _validate_one(variable, value, planted_quote, text, index)
                tally.add("planted", variable["type"], status)
    return tally, seconds, checks


# --- report ---------------------------------------------------------------------------


def report(name: str, tally: Tally) -> dict[str, Any]:
    correct, planted = tally.figures("correct"), tally.figures("planted")
    print(f"\n{name}")
    print(
        f"  false flags: {correct['flagged']} of {correct['values']} correct values "
        f"({100 * tally.rate('correct'):.2f} %; target under {100 * TARGET_FALSE_FLAG_RATE:.0f} %) "
        f"{common.verdict(tally.rate('correct') < TARGET_FALSE_FLAG_RATE)}"
    )
    print(f"    by type: {tally.by_type('correct')}")
    print(
        f"  planted mismatches flagged: {planted['flagged']} of {planted['values']} "
        f"{common.verdict(planted['flagged'] == planted['values'])}"
    )
    print(f"    by type: {tally.by_type('planted')}")
    figures = {"correct": correct, "planted": planted}
    for group in ("wrong", "unjudged"):
        if tally.values[group]:
            figures[group] = tally.figures(group)
            flagged, values = tally.flagged[group], tally.values[group]
            print(f"  {group} values flagged: {flagged} of {values}  {tally.by_type(group)}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--variables", type=int, default=50)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    test_figures = report("Test corpus (en, fr, de, zh)", run_test_corpus())
    tally, seconds, checks = run_bench_corpus(args.documents, args.variables)
    bench_figures = report(
        f"Bench corpus ({args.documents} documents x {args.variables} variables, simulator)", tally
    )
    print(f"  evidence_check of checked values: {dict(checks)}")
    print(f"  validate_answer: {seconds:.2f} s for {args.documents} answers")
    ok = all(
        figures["correct"]["rate"] < TARGET_FALSE_FLAG_RATE
        and figures["planted"]["flagged"] == figures["planted"]["values"]
        for figures in (test_figures, bench_figures)
    )
    common.emit(
        {
            "benchmark": "evidence",
            "test_corpus": test_figures,
            "bench_corpus": bench_figures,
            "bench_evidence_checks": dict(checks),
            "validate_seconds": round(seconds, 2),
            "documents": args.documents,
            "variables": args.variables,
            "ok": ok,
        }
    )
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
