"""Words of a quote and of a value, compared the way a reader would (evidence checks).

A reader accepts "Colour" for "color", "Genève" for "Geneve", "supported" for "support"
and "EU" written in capitals; the evidence check (``evidence.py``) must too, or it flags
correct values. Words are folded (case, accents, width), British spellings are read as
American ones (-our/-or, -ise/-ize, -yse/-yze, -tre/-ter, -ogue/-og, -ence/-ense,
doubled l before -ed/-ing, ae/oe), and two words match:

- ``loosely`` (does the quote name this value?): equal, or sharing a prefix of at least
  four letters that covers all but two letters of the shorter word ("criticised" and
  "critics", "Geneva" and "Genève");
- ``strictly`` (does the quote name a *different* value, which makes a mismatch?): equal,
  or one is the other plus an inflection ("support" and "supported"), so that "state"
  never names "statement".

Scripts without spaces (Chinese, Japanese, Thai) have no words to split; their values
are compared character by character (``unspaced_chars``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from schemas.types.words import fold


# Function words that say nothing about a value ("the Ministry of Foreign Affairs" is
# named by "foreign ministry"), in the languages the dates module reads.
def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated list written as one string (long word lists)."""
    return frozenset(text.split())


STOPWORDS = word_set(
    "a an the of and or in on at to for by with from as is are was were be that this "
    "le la les l de des du d et ou un une en au aux a pour par sur "
    "der die das den dem des und oder ein eine im am zu von mit fur "
    "el los las del y o al con por para lo "
    "il lo gli i di e da con per "
    "o os as do da dos das e em no na com para"
)  # fmt: skip
_INFLECTIONS = ("s", "es", "ed", "d", "ing", "e", "en", "n", "er", "ers", "ly")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_SPELLINGS = (
    (re.compile(r"(?<=\w\w[bdgilmnprv])our(?=$|s$|ed$|ing$|able|ite|ful|less|er|ism|ist|al)"),
     "or"),
    (re.compile(r"(?<=\w\w)is(?=e$|es$|ed$|ing$|ation|ations$|er$|ers$)"), "iz"),
    (re.compile(r"(?<=\w\w)ys(?=e$|es$|ed$|ing$)"), "yz"),
    (re.compile(r"(?<=\w\w[bt])re(?=s?$)"), "er"),
    (re.compile(r"(?<=\w\w)ogue(?=s?$)"), "og"),
    (re.compile(r"(?<=\w\w[fc])ence(?=s?$)"), "ense"),
    (re.compile(r"(?<=\w[aeiou])ll(?=ed$|ing$|er$|ers$)"), "l"),
    (re.compile(r"(?<=\w\w)amme(?=s?$)"), "am"),
    (re.compile(r"(?<=\w)[ao]e(?=\w\w)"), "e"),
)  # fmt: skip
_UNSPACED_SCRIPTS = frozenset({"cjk", "thai", "lao", "khmer", "myanmar"})
_SCRIPT_ALIASES = {
    "cjk": "cjk", "hiragana": "cjk", "katakana": "cjk", "ideographic": "cjk",
    "bopomofo": "cjk",
}  # fmt: skip


# --- words ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=16384)
def words(text: str) -> tuple[str, ...]:
    """The folded, spelling-normalised words and numbers of ``text`` (letters of
    scripts without spaces are left out: see ``unspaced_chars``)."""
    tokens = _TOKEN.findall(fold(text))
    return tuple(american(token) for token in tokens if not _unspaced_token(token))


def content_words(text: str) -> tuple[str, ...]:
    """``words`` without function words; all of them when nothing else is left."""
    found = words(text)
    return tuple(word for word in found if word not in STOPWORDS) or found


@functools.lru_cache(maxsize=16384)
def american(word: str) -> str:
    """A folded word in American spelling, so British and American forms compare equal
    ("colour" -> "color", "organisation" -> "organization", "centre" -> "center")."""
    if len(word) < 5 or not word.isalpha():
        return word
    for pattern, replacement in _SPELLINGS:
        word = pattern.sub(replacement, word)
    return word


def loosely(a: str, b: str) -> bool:
    """Same word, allowing inflection and small spelling drift (module docstring)."""
    if a == b:
        return True
    if not (a.isalpha() and b.isalpha()):
        return False
    shorter = min(len(a), len(b))
    common = len(_common_prefix(a, b))
    return shorter >= 4 and common >= max(4, shorter - 2)


def strictly(a: str, b: str) -> bool:
    """Same word, or one is the other plus an inflection ("oppose", "opposed")."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.startswith(short) and long[len(short) :] in _INFLECTIONS


def _common_prefix(a: str, b: str) -> str:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return a[:index]
    return a[: min(len(a), len(b))]


def has_word(word: str, quote_words: tuple[str, ...], *, strict: bool = False) -> bool:
    if word in quote_words:
        return True
    same = strictly if strict else loosely
    return any(same(word, other) for other in quote_words)


def names_phrase(phrase: str, quote: str, *, strict: bool = False) -> bool:
    """Whether ``quote`` holds every content word of ``phrase`` (any order); an acronym
    in capitals ("EU", "UN") must appear in capitals, or as the initials of words."""
    if is_acronym(phrase):
        return acronym_in(phrase.strip(), quote)
    wanted = content_words(phrase)
    quote_words = words(quote)
    chars, quoted = unspaced_chars(phrase), unspaced_chars(quote)
    if chars and not (chars in quoted if strict else set(chars) <= set(quoted)):
        return False
    if not wanted:
        return bool(chars)
    return all(has_word(word, quote_words, strict=strict) for word in wanted)


def is_acronym(phrase: str) -> bool:
    text = phrase.strip()
    return 2 <= len(text) <= 6 and text.isalpha() and text.isupper() and text.isascii()


def acronym_in(acronym: str, quote: str) -> bool:
    """ "EU" in "the EU's rules" or in "the European Union"."""
    if acronym_written(acronym, quote):
        return True
    initials = "".join(word[0] for word in content_words(quote))
    return acronym.lower() in initials


def acronym_written(acronym: str, quote: str) -> bool:
    """ "EU" written in capitals as a word of the quote."""
    return re.search(rf"(?<![^\W\d_]){re.escape(acronym)}(?![^\W\d_])", quote) is not None


# --- scripts -------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _script(ch: str) -> str:
    """The script of a letter ("latin", "cjk", "cyrillic"...), "" for anything else."""
    if not ch.isalpha():
        return ""
    first = unicodedata.name(ch, "").split(" ", 1)[0].lower()
    return _SCRIPT_ALIASES.get(first, first)


@functools.lru_cache(maxsize=16384)
def scripts(text: str) -> frozenset[str]:
    normalised = unicodedata.normalize("NFKC", text)
    return frozenset(script for script in map(_script, set(normalised)) if script)


def same_script(value: str, quote: str) -> bool:
    """Whether a lexical comparison means anything: the quote is written in (one of) the
    value's scripts. A value without letters ("27") is in every script."""
    wanted = scripts(value)
    return not wanted or bool(wanted & scripts(quote))


def _unspaced_token(token: str) -> bool:
    return any(_script(ch) in _UNSPACED_SCRIPTS for ch in token)


@functools.lru_cache(maxsize=16384)
def unspaced_chars(text: str) -> str:
    """The letters of ``text`` written in a script without spaces, folded, in order."""
    return "".join(ch for ch in fold(text) if _script(ch) in _UNSPACED_SCRIPTS)
