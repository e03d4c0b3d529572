"""Find a model's evidence quote in the document text and return its char offsets.

Models copy quotes imperfectly: they straighten curly quotes, change dashes, rejoin lines
that a PDF broke, drop soft hyphens, compose or decompose accents, and lowercase. A quote
counts as found when it matches after *folding* both sides the same way:

- Unicode compatibility decomposition (NFKD), then combining marks dropped: NFC and NFD
  input agree, full-width forms and ligatures become ASCII, accents, Arabic harakat
  and Hebrew niqqud are ignored (Hangul syllables are recomposed afterwards);
- case folding (so German ``ß`` matches ``ss`` and Greek final ``ς`` matches ``σ``);
- every quote mark becomes ``'`` or ``"`` and every dash ``-``;
- format characters (soft hyphen, zero-width, bidi marks) and the Arabic tatweel vanish;
- any run of whitespace, newlines included, becomes one space.

Offsets always index the ORIGINAL text: folding keeps, for each folded character, the
index of the original character it came from, so ``text[start:end]`` is the passage
as the document has it. When a quote is not found with single spaces, a second pass
ignores whitespace that the text has and the quote lacks (CJK text that PDF extraction
broke into lines, words split by stray spaces); a space in the quote must still be
whitespace in the text, so "the rapist" never matches "therapist". Such matches satisfy
``normalise(text[start:end]) == normalise(quote)`` up to spaces; all others exactly.

A quote must start and end on a word boundary (``boundaries.py``): "9 percent of the
vote" cut out of "22.9 percent of the vote", or "ratified" out of "unratified", is not
found, since a model that cuts a number or a word quotes something the document does
not say; ``cuts_words`` tells such a quote from one that is not there at all.

A quote may leave out part of the passage with an ellipsis (``...``, ``…``, ``[...]``):
then every fragment must be found, in order, and the span runs from the start of the
first to the end of the last. Leading and trailing punctuation or ellipses on the quote
are ignored when the quote is not found with them.

Build one ``EvidenceIndex`` per document and call ``.locate`` for each quote: folding a
1 MB document happens once (0.1-0.5 s), and each lookup is then a substring search.

Not handled: words hyphenated across a line break ("inter-\nnational"), documents in
decomposed Korean (conjoining jamo) quoted in composed form, paraphrased quotes, and
quotes that start or end at words a PDF glued together ("Thetreaty"): a glued edge is
inside a word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Callable
from itertools import compress, repeat

from processing.boundaries import cuts_word

__all__ = ["EvidenceIndex", "locate", "normalise"]

# Characters that fold to a quote or a dash, checked before NFKD (which would turn some
# of them, like the acute accent, into a space and a combining mark).
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u00b4\u0060\u2039\u203a\uff07"
_DOUBLE_QUOTES = (
    "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"
    "\u300c\u300d\u300e\u300f\u301d\u301e\u301f\uff02"
)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u2043"
_PUNCTUATION = (
    dict.fromkeys(_SINGLE_QUOTES, "'")
    | dict.fromkeys(_DOUBLE_QUOTES, '"')
    | dict.fromkeys(_DASHES, "-")
)
# Letters that only stretch a word visually: Arabic tatweel (kashida).
_INVISIBLE_LETTERS = frozenset("\u0640")

# 0, 1, 2, ... kept between calls: slicing it is a memory copy, while building position
# ranges element by element costs a tenth of a second per megabyte of text.
_identity = array("i")


def _positions(start: int, stop: int) -> array:
    """array('i', range(start, stop)), fast."""
    global _identity
    if len(_identity) < stop:
        _identity = array("i", range(max(stop, 2 * len(_identity))))
    return _identity[start:stop]


Accept = Callable[[int, int], bool]

_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\s*){3,}\]|\(\s*(?:\.\s*){3,}\)|\.{3,}|…)\s*")
_MULTISPACE = re.compile(" {2,}")
_MAX_REPLACE_CALLS = 48
# Above one invisible character in this many, they are removed in bulk.
_BULK_DELETE_SHARE = 50


def _drop_marks(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Me"))


@functools.lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """What one character becomes when folded: usually one character, sometimes none
    (marks, zero-width characters) or several (``ß`` -> ``ss``, ``ﬁ`` -> ``fi``)."""
    if ch in _PUNCTUATION:
        return _PUNCTUATION[ch]
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Cf") or ch in _INVISIBLE_LETTERS:
        return ""
    if category == "Cc":  # control characters other than whitespace carry no text
        return ""
    folded = _drop_marks(unicodedata.normalize("NFKD", ch)).casefold()
    # casefold can produce decomposable letters again (e.g. "İ"), so decompose once more.
    folded = _drop_marks(unicodedata.normalize("NFKD", folded))
    folded = "".join(
        " " if c.isspace() else _PUNCTUATION.get(c, c)
        for c in folded
        if c not in _INVISIBLE_LETTERS
    )
    # Recompose what NFKD split without marks (Hangul syllables), so Korean stays one
    # character per character.
    return unicodedata.normalize("NFC", folded)


def normalise(text: str) -> str:
    """The folded form used for tolerant matching (see the module docstring)."""
    folded = "".join(map(_fold_char, text))
    return _MULTISPACE.sub(" ", folded).strip()


class _Folded:
    """A folded text and, per folded character, the index of its original character."""

    def __init__(self, folded: str, starts: array, original_length: int) -> None:
        self.folded = folded
        self.starts = starts
        self.original_length = original_length

    def find(
        self, needle: str, begin: int = 0, accept: Accept | None = None
    ) -> tuple[int, int] | None:
        """First match of ``needle`` at or after ``begin`` (folded positions) that does
        not cut an expanded character (``ß`` -> ``ss``) in half, and whose original span
        ``accept`` takes."""
        if not needle:
            return None
        position = self.folded.find(needle, begin)
        while position != -1:
            end = position + len(needle)
            if (
                self.is_boundary(position)
                and self.is_boundary(end)
                and (accept is None or accept(*self.to_original(position, end)))
            ):
                return position, end
            position = self.folded.find(needle, position + 1)
        return None

    def is_boundary(self, position: int) -> bool:
        if position <= 0 or position >= len(self.folded):
            return True
        return self.starts[position] != self.starts[position - 1]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original char span of folded span [start, end): the end reaches up to the
        next kept character, so trailing combining marks stay with their letter."""
        original_end = self.starts[end] if end < len(self.folded) else self.original_length
        return self.starts[start], original_end


class _Spaceless:
    """The folded text without its spaces, for text whose words or characters were
    split by stray whitespace (CJK lines broken by a PDF, "negoti ation").

    Positions map back through the spaced form: ``gaps`` holds, for every removed space,
    the spaceless index of the character that followed it.
    """

    def __init__(self, spaced: _Folded) -> None:
        self.spaced = spaced
        self.folded = spaced.folded.replace(" ", "")
        spaces = [match.start() for match in re.finditer(" ", spaced.folded)]
        self.gaps = [position - count for count, position in enumerate(spaces)]

    def to_spaced(self, index: int) -> int:
        return index + bisect_right(self.gaps, index)

    def find(
        self, quote: str, begin: int = 0, accept: Accept | None = None
    ) -> tuple[int, int] | None:
        """Like ``_Folded.find`` for a folded quote, ignoring spaces the text has and the
        quote lacks; a space in the quote must still be whitespace in the text."""
        needle = quote.replace(" ", "")
        breaks = _space_breaks(quote)
        position = self.folded.find(needle, begin) if needle else -1
        while position != -1:
            end = position + len(needle)
            if self._fits(position, end, breaks) and (
                accept is None or accept(*self.to_original(position, end))
            ):
                return position, end
            position = self.folded.find(needle, position + 1)
        return None

    def _fits(self, start: int, end: int, breaks: list[int]) -> bool:
        first, last = self.to_spaced(start), self.to_spaced(end - 1)
        if not (self.spaced.is_boundary(first) and self.spaced.is_boundary(last + 1)):
            return False
        return all(
            self.to_spaced(start + offset) - self.to_spaced(start + offset - 1) > 1
            for offset in breaks
        )

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.spaced.to_original(self.to_spaced(start), self.to_spaced(end - 1) + 1)


def _space_breaks(quote: str) -> list[int]:
    """Spaceless offsets in ``quote`` that a space preceded."""
    breaks, removed = [], 0
    for position, ch in enumerate(quote):
        if ch == " ":
            removed += 1
        elif removed and quote[position - 1] == " ":
            breaks.append(position - removed)
    return breaks


def _fold_document(text: str) -> _Folded:
    """Fold ``text`` keeping the position map, fast for long documents.

    Per-character Python work is kept for the rare characters that expand or change
    irregularly; characters that vanish are removed in bulk when they are frequent
    (decomposed accents, vocalised Arabic or Hebrew), one by one otherwise. Everything
    else is lowercased with ``str.lower`` (C speed, length-preserving for these
    characters), then the few lowercase characters whose fold differs (accents, curly
    quotes, newlines...) are replaced one for one. Whitespace runs are collapsed last.
    """
    original_length = len(text)
    chars = set(text)  # costly for non-Latin text: computed once
    base, text = _drop_frequent_invisibles(text, chars)

    def positions(start: int, stop: int) -> array:
        return base[start:stop] if base is not None else _positions(start, stop)

    special = sorted(ch for ch in chars if not _folds_one_for_one(ch) and _fold_char(ch))
    if base is None:
        special += [ch for ch in chars if not _fold_char(ch)]
    parts: list[str] = []
    starts = array("i")
    position = 0
    if special:
        pattern = re.compile("[" + "".join(re.escape(ch) for ch in special) + "]+")
        for match in pattern.finditer(text):
            run_start, run_end = match.span()
            parts.append(text[position:run_start].lower())
            starts.extend(positions(position, run_start))
            for index in range(run_start, run_end):
                folded = _fold_char(text[index])
                parts.append(folded)
                starts.extend(repeat(positions(index, index + 1)[0], len(folded)))
            position = run_end
    parts.append(text[position:].lower())
    starts.extend(positions(position, len(text)))
    folded = _replace_one_for_one("".join(parts), _lowered(chars))
    return _collapse_spaces(folded, starts, original_length)


def _drop_frequent_invisibles(text: str, chars: set[str]) -> tuple[array | None, str]:
    """Remove characters that fold to nothing when they are common enough to make a
    per-character loop slow; return the original index of every kept character."""
    invisible = [ch for ch in chars if not _fold_char(ch)]
    if sum(text.count(ch) for ch in invisible) < len(text) // _BULK_DELETE_SHARE + 1:
        return None, text
    table = dict.fromkeys(map(ord, chars), "\x01") | dict.fromkeys(map(ord, invisible), "\x00")
    mask = text.translate(table).encode("ascii")
    kept = array("i", compress(_positions(0, len(text)), mask))
    for ch in invisible:
        text = text.replace(ch, "")
    return kept, text


def _folds_one_for_one(ch: str) -> bool:
    """Whether ``ch.lower()`` then a one-for-one replacement gives its fold."""
    lowered = ch.lower()
    folded = _fold_char(ch)
    return len(lowered) == 1 and len(folded) == 1 and _fold_char(lowered) == folded


def _lowered(chars: set[str]) -> set[str]:
    """Characters that can appear in the lowered text (final sigma is contextual)."""
    found = {c for ch in chars for c in ch.lower() + _fold_char(ch)}
    return found | {"\u03c2"} if "\u03a3" in chars else found


def _replace_one_for_one(text: str, chars: set[str]) -> str:
    """Apply the one-for-one folds (``é`` -> ``e``, ``’`` -> ``'``, newline -> space).

    One ``str.replace`` per distinct character runs at memory speed; ``str.translate``
    costs ~0.1 s per MB as soon as the text holds a non-ASCII character, so it is only
    the fallback for texts with very many distinct changing characters. Folds are
    idempotent, so the order of the replacements does not matter.
    """
    table = {}
    for ch in chars:
        folded = _fold_char(ch)
        if folded != ch and len(folded) == 1:
            table[ch] = folded
    if len(table) > _MAX_REPLACE_CALLS:
        return text.translate(str.maketrans(table))
    for ch, folded in table.items():
        text = text.replace(ch, folded)
    return text


def _collapse_spaces(folded: str, starts: array, original_length: int) -> _Folded:
    """Keep the first space of every run of spaces, and its original position."""
    runs = list(_MULTISPACE.finditer(folded))
    if not runs:
        return _Folded(folded, starts, original_length)
    kept = array("i")
    position = 0
    for run in runs:
        kept.extend(starts[position : run.start() + 1])
        position = run.end()
    kept.extend(starts[position:])
    return _Folded(_MULTISPACE.sub(" ", folded), kept, original_length)


def _strip_edges(folded_quote: str) -> str:
    """Drop leading/trailing punctuation and spaces, which models add or change."""
    start, end = 0, len(folded_quote)
    while start < end and _is_edge_noise(folded_quote[start]):
        start += 1
    while end > start and _is_edge_noise(folded_quote[end - 1]):
        end -= 1
    return folded_quote[start:end]


def _is_edge_noise(ch: str) -> bool:
    return ch == " " or unicodedata.category(ch).startswith("P")


class EvidenceIndex:
    """A document folded once, ready to locate any number of quotes in it."""

    def __init__(self, text: str) -> None:
        self.text = text

    @functools.cached_property
    def _spaced(self) -> _Folded:
        return _fold_document(self.text)

    @functools.cached_property
    def _spaceless(self) -> _Spaceless:
        return _Spaceless(self._spaced)

    def locate(self, quote: str) -> tuple[int, int] | None:
        """Char offsets ``(start, end)`` of ``quote`` in the text, or None if absent."""
        return self._search(quote, self.on_word_boundaries)

    def cuts_words(self, quote: str) -> bool:
        """Whether ``quote`` is not located only because every occurrence starts or ends
        inside a word or a number (for the message a reviewer reads)."""
        return self.locate(quote) is None and self._search(quote, None) is not None

    def _search(self, quote: str, accept: Accept | None) -> tuple[int, int] | None:
        if not isinstance(quote, str) or not quote.strip():
            return None
        quote = quote.strip()
        exact = self._find_exact(quote, accept)
        if exact is not None:
            return exact
        folded = normalise(quote)
        fragments = [
            piece for piece in (_strip_edges(part) for part in _ELLIPSIS.split(folded)) if piece
        ]
        candidates = [[folded], fragments] if fragments else [[folded]]
        for index in (self._spaced, self._spaceless):
            for pieces in candidates:
                span = _find_in_order(index, pieces, accept)
                if span is not None:
                    return span
        return None

    def _find_exact(self, quote: str, accept: Accept | None) -> tuple[int, int] | None:
        position = self.text.find(quote)
        while position != -1:
            if accept is None or accept(position, position + len(quote)):
                return position, position + len(quote)
            position = self.text.find(quote, position + 1)
        return None

    def on_word_boundaries(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` neither starts nor ends inside a word or number."""
        return not (cuts_word(self.text, start) or cuts_word(self.text, end))


def _find_in_order(
    index: _Folded | _Spaceless, pieces: list[str], accept: Accept | None
) -> tuple[int, int] | None:
    """Span from the first piece to the last, each found after the previous one, each on
    word boundaries."""
    first = index.find(pieces[0], 0, accept)
    if first is None:
        return None
    last = first
    for piece in pieces[1:]:
        last = index.find(piece, last[1], accept)
        if last is None:
            return None
    return index.to_original(first[0], last[1])


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """One-off lookup; for several quotes in one document use ``EvidenceIndex``."""
    return EvidenceIndex(text).locate(quote)
