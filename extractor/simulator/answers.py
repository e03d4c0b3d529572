"""Plausible, deterministic answers for any JSON Schema, made from the document text.

The values are not extracted in any real sense, but they look like what a model sends
back, so every downstream check runs for real: quotes are verbatim substrings of the
document made of whole words (evidence lookup succeeds), numbers and dates come from the
text when there are any, enum values come from the enum, ``key`` fields are slugs,
``confidence`` is in 0..1, nullable fields are sometimes null. In a ``{value, evidence}``
answer the quote is a sentence that says the value, as a careful model's would (free
text is then taken from the quote); a value the text does not hold (numbers and dates
are made up now and then) keeps a random quote, a mistake the evidence check flags.
The same request always gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

DOCUMENT_BEGIN = "===== BEGIN DOCUMENT ====="
DOCUMENT_END = "===== END DOCUMENT ====="
NULL_RATE = 0.12
MAX_DEPTH = 12

# A sentence ends at ".", "!", "?" or a line break, but not at the point of "22.9".
_SENTENCE = re.compile(r"(?:[^.!?\n]|(?<=\d)\.(?=\d)){12,}[.!?]?")
_WORD = re.compile(r"\S+")
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])-?\d+(?:\.\d+)?")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.I)
_MONTH_DAY_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),?\s+(\d{4})\b", re.I)
_SLUG_HINT = "[a-z0-9_]"
_QUOTE_WORDS = ("evidence", "quote", "verbatim", "excerpt", "citation", "passage")
_DATE_NAMES = ("date", "_at", "_on", "when", "published", "deadline", "day")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHRASE_EDGES = " ,;:.!?()[]\"'“”‘’"
_PROBABILITY_NAMES = ("confidence", "probability", "certainty", "likelihood")


def document_text(messages: list[dict[str, Any]]) -> str:
    """The document in the last user message (between the markers when present)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            text = message_text(message)
            start, end = text.find(DOCUMENT_BEGIN), text.find(DOCUMENT_END)
            if start != -1 and end > start:
                return text[start + len(DOCUMENT_BEGIN) : end].strip("\n")
            return text
    return ""


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


class AnswerMaker:
    """Builds one answer; ``rng`` is seeded from the request so answers are repeatable."""

    def __init__(self, text: str, rng, *, root_schema: dict[str, Any] | None = None):
        self.text = text
        self.rng = rng
        self.root = root_schema or {}
        self.sentences = [m for m in _SENTENCE.finditer(text) if m.group().strip()]
        self.numbers = _numbers(text)
        self.dates = _dates(text)
        self.used_slugs: set[str] = set()

    def value(self, schema: Any, name: str = "", depth: int = 0) -> Any:
        schema = self._resolve(schema)
        if depth > MAX_DEPTH or not isinstance(schema, dict):
            return None
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._choice_from(schema["enum"])
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                return self._branch(schema[keyword], name, depth)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self.value(merged, name, depth + 1)
        kind = self._kind(schema)
        if kind == "null":
            return None
        return getattr(self, f"_{kind}")({**schema, "type": kind}, name, depth)

    def _kind(self, schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            real = [k for k in kind if k != "null"]
            if not real or ("null" in kind and self.rng.random() < NULL_RATE):
                return "null"
            return real[0]
        if kind in ("object", "array", "string", "integer", "number", "boolean", "null"):
            return kind
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        return "string"

    def _branch(self, branches: list[Any], name: str, depth: int) -> Any:
        resolved = [self._resolve(b) for b in branches]
        real = [b for b in resolved if not (isinstance(b, dict) and b.get("type") == "null")]
        if not real or (len(real) < len(resolved) and self.rng.random() < NULL_RATE):
            return None
        return self.value(real[0] if len(real) == 1 else self.rng.choice(real), name, depth + 1)

    def _choice_from(self, options: list[Any]) -> Any:
        real = [o for o in options if o is not None]
        if not real or (len(real) < len(options) and self.rng.random() < NULL_RATE):
            return None
        return self.rng.choice(real)

    def _object(self, schema: dict[str, Any], name: str, depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or properties)
        answer = {
            key: self.value(sub, key, depth + 1)
            for key, sub in properties.items()
            if key in required or self.rng.random() < 0.7
        }
        if "value" in answer and isinstance(answer.get("evidence"), str):
            value_schema = self._resolve(properties["value"])
            answer["value"], answer["evidence"] = self.grounded(answer["value"], value_schema)
        return answer

    def grounded(self, value: Any, schema: Any) -> tuple[Any, str]:
        """``value`` and a quote that says it (see the module docstring)."""
        schema = schema if isinstance(schema, dict) else {}
        items = self._resolve(schema.get("items")) if "items" in schema else None
        if isinstance(value, bool) or value is None:
            return value, self.quote()
        if isinstance(value, int | float):
            return value, self._quote_where(lambda sentence: value in _numbers(sentence))
        if isinstance(value, list):
            if isinstance(items, dict) and items.get("enum") and value:
                return value, self._quote_naming(str(value[0]))
            quote = self.quote()
            return list(dict.fromkeys(self._phrase_in(quote) for _ in value)), quote
        if isinstance(value, str) and _ISO_DAY.fullmatch(value):
            return value, self._quote_where(lambda sentence: value in _dates(sentence))
        if isinstance(value, str) and schema.get("enum"):
            return value, self._quote_naming(value)
        quote = self.quote()
        return self._phrase_in(quote), quote

    def _quote_where(self, test) -> str:
        """A sentence for which ``test`` holds, else any quote."""
        found = [match for match in self.sentences if test(match.group())]
        return self.rng.choice(found).group().strip() if found else self.quote()

    def _quote_naming(self, option: str) -> str:
        wanted = option.replace("_", " ").lower()
        return self._quote_where(lambda sentence: wanted in sentence.lower())

    def _phrase_in(self, quote: str) -> str:
        """One to six consecutive words of ``quote``, without edge punctuation."""
        words = quote.split()
        if not words:
            return "not stated"
        size = min(len(words), self.rng.randint(1, 6))
        first = self.rng.randint(0, len(words) - size)
        return " ".join(words[first : first + size]).strip(_PHRASE_EDGES) or words[0]

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = max(int(schema.get("maxItems", max(low, 3))), low)
        count = self.rng.randint(low, high)
        items = self._resolve(schema.get("items") or {"type": "string"})
        options = items.get("enum") if isinstance(items, dict) else None
        if options:  # a multi-category answer: distinct values from the list
            real = [o for o in options if o is not None]
            return self.rng.sample(real, min(max(count, 1 if real else 0), len(real)))
        values = [self.value(items, _singular(name), depth + 1) for _ in range(count)]
        if schema.get("uniqueItems"):
            unique: list[Any] = []
            for value in values:
                if value not in unique:
                    unique.append(value)
            values = unique
        return values

    def _string(self, schema: dict[str, Any], name: str, depth: int) -> str:
        lowered, description = name.lower(), str(schema.get("description", "")).lower()
        if any(w in lowered or w in description for w in _QUOTE_WORDS):
            value = self.quote()
        elif (
            lowered == "key" or lowered.endswith("_key") or _SLUG_HINT in schema.get("pattern", "")
        ):
            value = self.slug()
        elif schema.get("format") == "date-time":
            value = f"{self.date()}T00:00:00Z"
        elif (
            schema.get("format") == "date"
            or any(w in lowered for w in _DATE_NAMES)
            or "yyyy-mm-dd" in description  # how this app's schemas ask for a date
        ):
            value = self.date()
        elif "year" in lowered:
            value = str(self._year())
        elif lowered in ("label", "title", "name"):
            value = self.phrase(2, 4).strip(" ,;:").title() or "Untitled"
        else:
            value = self.phrase(1, 6) or "not stated"
        max_length = schema.get("maxLength")
        return value[: int(max_length)] if max_length else value

    def _integer(self, schema: dict[str, Any], name: str, depth: int) -> int:
        low, high = _bounds(schema, integer=True)
        if "year" in name.lower():
            return self._year()
        found = [int(n) for n in self.numbers if n == int(n) and low <= n <= high]
        if found and self.rng.random() < 0.85:
            return self.rng.choice(found)
        return self.rng.randint(int(low), int(min(high, low + 1000)))

    def _number(self, schema: dict[str, Any], name: str, depth: int) -> float:
        low, high = _bounds(schema, integer=False)
        if any(w in name.lower() for w in _PROBABILITY_NAMES) or (low >= 0 and high <= 1):
            return round(self.rng.uniform(max(low, 0.5), min(high, 0.99)), 2)
        found = [n for n in self.numbers if low <= n <= high]
        if found and self.rng.random() < 0.85:
            return float(self.rng.choice(found))
        return round(self.rng.uniform(low, min(high, low + 1000)), 2)

    def _boolean(self, schema: dict[str, Any], name: str, depth: int) -> bool:
        return self.rng.random() < 0.5

    def quote(self) -> str:
        """A verbatim sentence, or a run of words from one, of the document."""
        if not self.sentences:
            return self.text.strip()[:200]
        sentence = self.rng.choice(self.sentences)
        start, end = sentence.span()
        if end - start <= 240 and self.rng.random() < 0.7:
            return self.text[start:end].strip()
        words = list(_WORD.finditer(self.text, start, end))
        size = min(len(words), self.rng.randint(5, 15))
        first = self.rng.randint(0, len(words) - size)
        return self.text[words[first].start() : words[first + size - 1].end()]

    @functools.cached_property
    def words(self) -> list[str]:
        return _WORD.findall(self.text)

    def phrase(self, low: int, high: int) -> str:
        words = self.words  # found once per answer: a 50-variable answer asks for dozens
        if not words:
            return ""
        size = min(len(words), self.rng.randint(low, high))
        first = self.rng.randint(0, len(words) - size)
        return " ".join(words[first : first + size])

    def slug(self) -> str:
        words = re.findall(r"[a-z][a-z0-9]*", self.phrase(1, 3).lower()) or ["variable"]
        base = "_".join(words)[:50] or "variable"
        slug, number = base, 2
        while slug in self.used_slugs:
            slug, number = f"{base}_{number}", number + 1
        self.used_slugs.add(slug)
        return slug

    def date(self) -> str:
        if self.dates and self.rng.random() < 0.85:
            return self.rng.choice(self.dates)
        day = dt.date(2000, 1, 1) + dt.timedelta(days=self.rng.randint(0, 9000))
        return day.isoformat()

    def _year(self) -> int:
        years = [int(n) for n in self.numbers if n == int(n) and 1800 <= n <= 2100]
        return self.rng.choice(years) if years else self.rng.randint(1990, 2024)

    def _resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < MAX_DEPTH:
            schema, seen = self._follow(schema["$ref"]), seen + 1
        return schema

    def _follow(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for part in ref.lstrip("#/").split("/"):
            if not part:
                continue
            if not isinstance(node, dict):
                return {}
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
        return node


def _numbers(text: str) -> list[float]:
    values = []
    for match in _NUMBER.finditer(text):
        raw = match.group().replace(",", "")
        try:
            number = float(raw)
        except ValueError:
            continue
        values.append(int(number) if "." not in raw else number)
    return values


def _dates(text: str) -> list[str]:
    found = []
    for year, month, day in _ISO_DATE.findall(text):
        found.append(_iso(int(year), int(month), int(day)))
    for day, month, year in _DAY_MONTH_YEAR.findall(text):
        found.append(_iso(int(year), _MONTHS.index(month.lower()) + 1, int(day)))
    for month, day, year in _MONTH_DAY_YEAR.findall(text):
        found.append(_iso(int(year), _MONTHS.index(month.lower()) + 1, int(day)))
    return [d for d in found if d]


def _iso(year: int, month: int, day: int) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return ""


def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[float, float]:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0 if integer else 0.0))
    high = schema.get("maximum", schema.get("exclusiveMaximum", 1_000_000))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low += 1 if integer else 1e-6
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        high -= 1 if integer else 1e-6
    return low, max(high, low)


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name
