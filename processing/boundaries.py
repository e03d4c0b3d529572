"""Word boundaries for evidence quotes: a quote must not start or end inside a word or
a number ("9 percent of the vote" cut out of "22.9 percent of the vote").

Characters of scripts written without spaces (Chinese, Japanese, Thai...) are each a
boundary, and so is a digit touching one ("2018年"). Inside a number, the separators of
"22.9", "1,200", "1'200" and "1 200" (a space only between thousands groups) do not
separate. Format characters are looked through; combining marks belong to their letter.
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["cuts_word"]

# Separators inside a written number ("22.9", "1,200", "1'200", "1 200", Arabic "١٫٥").
_NUMBER_SEPARATORS = frozenset(".,'\u2019\u00a0\u202f\u2009 \u066b\u066c")
# Scripts written without spaces between words: any character boundary is a word boundary.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x31FF),  # CJK symbols, kana, bopomofo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF65, 0xFF9F),  # half-width katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


def cuts_word(text: str, position: int) -> bool:
    """Whether a span starting or ending at ``position`` cuts a word or a number in two.

    Format characters (soft hyphens, zero-width joiners, bidi marks) are looked through;
    combining marks belong to their letter (a stray one, after a space, to nothing).
    """
    left = _visible(text, position - 1, -1, skip=("Cf", "Mn", "Mc", "Me"))
    right = _visible(text, position, 1)
    if left is None or right is None:
        return False
    before, after = text[left], text[right]
    if unicodedata.category(after)[0] == "M":  # between a letter and its marks
        return _is_word_char(before)
    if _is_word_char(before) and _is_word_char(after):
        return not (_is_unspaced(before) or _is_unspaced(after))
    if before.isdigit() and after in _NUMBER_SEPARATORS:
        return _inside_number(text, right)
    if after.isdigit() and before in _NUMBER_SEPARATORS:
        return _inside_number(text, left)
    return False


def _visible(text: str, index: int, step: int, skip: tuple[str, ...] = ("Cf",)) -> int | None:
    """The nearest index from ``index`` (in direction ``step``) whose character is not of
    a category in ``skip`` (format characters), or None past the text's ends."""
    while 0 <= index < len(text):
        if unicodedata.category(text[index]) not in skip:
            return index
        index += step
    return None


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


@functools.lru_cache(maxsize=4096)
def _is_unspaced(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _UNSPACED_RANGES)


def _inside_number(text: str, separator: int) -> bool:
    """Whether the separator at ``separator`` joins the digits of one number: "22.9",
    "1,200"; a space only between thousands groups ("1 200", not "2019 312")."""
    if not (0 < separator < len(text) - 1):
        return False
    if not (text[separator - 1].isdigit() and text[separator + 1].isdigit()):
        return False
    if text[separator] != " ":
        return True
    before = separator
    while before > 0 and text[before - 1].isdigit():
        before -= 1
    after = separator + 1
    while after < len(text) and text[after].isdigit():
        after += 1
    return separator - before <= 3 and after - separator - 1 == 3
