"""The numbers and dates a quote writes, read with the types' own parsers.

Rather than spell a value every way it could be written, the evidence check reads every
number- or date-looking span of the quote and compares what it read with the value:

- numbers: runs of digits with their separators ("1,200", "1 200", "1.234,5", "22.9")
  read by ``numeric.parse_number``; "1.200" and "1,200" are read both ways (the locale
  is not known), digits separated by spaces that are not thousands groups as separate
  numbers ("2019 312"; "1 200" is only 1200); a scale
  word after the digits multiplies ("1.2 million", "3万", "2 Mrd"), a percent sign also
  gives the share ("12 %" is 12 and 0.12); signs are ignored ("fell by 5" supports -5).
  Full-width and other Unicode digits count as ASCII ones. Number words are read in
  English ("twenty-seven", "two hundred and five"), a few small ones in French, German,
  Spanish, Italian and Portuguese, and Chinese numerals ("二十七", "一九九四");
- dates: ISO and numeric dates (both day-month orders when ambiguous, "13.12.2007" day
  first, two-digit years in both centuries), worded dates in the languages of
  ``dates.py`` ("13 December 2007", "le 1er mars 2020", "März 2020", "December 13,
  2007"), CJK dates ("2018年9月1日", "二〇一八年九月一日", "2018년 9월 1일") and bare
  years. A date is a (year, month, day) triple with unknown parts None.

``VAGUE`` words ("several", "dozens", "half") mean the quote states a quantity that
cannot be read as one number.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata

from schemas.types.dates import is_date_filler, month_number
from schemas.types.errors import CoercionError
from schemas.types.lexical import word_set
from schemas.types.numeric import parse_number
from schemas.types.words import fold

DateParts = tuple[int | None, int | None, int | None]

_GROUP_SPACES = "\u00a0\u202f\u2009 "
_NUMBER_SPAN = re.compile(r"\d+(?:[.,'\u2019\u00a0\u202f\u2009 ]\d+)*")
# Thousands groups separated by spaces ("1 200", "12 345,5"): one number, not two.
_GROUPED = re.compile(r"\d{1,3}(?:[\u00a0\u202f\u2009 ]\d{3})+(?:[.,]\d+)?")
_PERCENT = ("%", "percent", "per cent", "pour cent", "prozent", "por ciento", "per cento", "pct")
_SCALES = {
    "thousand": 1e3, "thousands": 1e3, "k": 1e3, "mille": 1e3, "tausend": 1e3, "mil": 1e3,
    "million": 1e6, "millions": 1e6, "millionen": 1e6, "mio": 1e6, "m": 1e6, "mn": 1e6,
    "millon": 1e6, "millón": 1e6, "millones": 1e6, "milhões": 1e6, "milhoes": 1e6,
    "milioni": 1e6, "milione": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "milliard": 1e9, "milliards": 1e9,
    "milliarde": 1e9, "milliarden": 1e9, "mrd": 1e9, "miliardi": 1e9, "trillion": 1e12,
    "lakh": 1e5, "crore": 1e7,
    "千": 1e3, "万": 1e4, "萬": 1e4, "百万": 1e6, "千万": 1e7, "亿": 1e8, "億": 1e8,
}  # fmt: skip
_AFTER_NUMBER = re.compile(
    r"\s*(?P<word>(?:"
    + "|".join(re.escape(w) for w in sorted([*_PERCENT, *_SCALES], key=len, reverse=True))
    + r")(?<=[%\u3000-\u9fff])|(?:"  # "%" and CJK scales may touch the next word
    + "|".join(re.escape(w) for w in sorted([*_PERCENT, *_SCALES], key=len, reverse=True))
    + r")(?![^\W\d_]))",
    re.IGNORECASE,
)
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "ein": 1,
    "eine": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6,
    "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwolf": 12, "uno": 1,
    "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "due": 2, "tre": 3, "quattro": 4,
    "cinque": 5, "sei": 6, "sette": 7, "otto": 8, "nove": 9, "dieci": 10, "dois": 2,
    "duas": 2, "sete": 7, "oito": 8, "dez": 10, "once": 1, "single": 1, "twice": 2,
    "both": 2, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "dozen": 12, "none": 0, "no": 0, "nil": 0,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "vingt": 20, "trente": 30, "quarante": 40,
    "cinquante": 50, "zwanzig": 20, "dreissig": 30, "vierzig": 40, "funfzig": 50,
    "veinte": 20, "treinta": 30, "venti": 20, "trenta": 30, "vinte": 20, "trinta": 30,
}  # fmt: skip
_WORD_SCALES = {"hundred": 100, "cent": 100, "hundert": 100, "cien": 100, "ciento": 100,
                "cento": 100, "thousand": 1000, "mille": 1000, "tausend": 1000,
                "million": 10**6, "billion": 10**9}  # fmt: skip
_JOINERS = frozenset({"and", "et", "und", "y", "e"})
VAGUE = word_set(
    "several few many numerous dozens hundreds thousands millions billions half "
    "quarter quarters thirds majority plusieurs quelques dizaine dizaines centaine "
    "centaines milliers mehrere einige dutzend dutzende hunderte tausende varios varias "
    "algunos algunas decenas centenares cientos miles vari diversi alcuni"
)  # fmt: skip
_VAGUE_CJK = ("几", "数十", "数百", "数千", "若干", "多个", "半")
_CJK_DIGITS = dict(zip("〇零一二三四五六七八九", [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], strict=True))
_CJK_DIGITS |= {"两": 2, "兩": 2}
_CJK_SMALL = {"十": 10, "百": 100, "千": 1000}
_CJK_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CJK_NUMERAL = re.compile("[" + "".join([*_CJK_DIGITS, *_CJK_SMALL, *_CJK_BIG]) + "]+")
_ERAS = ("令和", "平成", "昭和", "大正", "明治", "民国", "民國")


# --- numbers -------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def numbers_in(quote: str) -> frozenset[float]:
    """Every number ``quote`` may be read as saying, as absolute values."""
    text = prepared(quote)
    found: set[float] = set()
    for match in _NUMBER_SPAN.finditer(text):
        readings = _span_readings(match.group())
        found |= readings
        after = _AFTER_NUMBER.match(text, match.end())
        if after is not None:
            found |= _scaled(readings, after.group("word").lower())
    found |= set(_word_numbers(fold(text)))
    for run in _CJK_NUMERAL.findall(text):
        found |= _cjk_readings(run)
    return frozenset(abs(number) for number in found)


def has_vague_quantity(quote: str) -> bool:
    """Whether the quote states a quantity that is not one number ("several states",
    "millions of people"; not "1 200 millions", which is read)."""
    text = _without_numbers(prepared(quote))
    if any(word in VAGUE for word in re.findall(r"[^\W\d_]+", fold(text))):
        return True
    return any(word in text for word in _VAGUE_CJK)


def _without_numbers(text: str) -> str:
    """``text`` without its written numbers and the scale words after them."""
    pieces, position = [], 0
    for match in _NUMBER_SPAN.finditer(text):
        after = _AFTER_NUMBER.match(text, match.end())
        pieces.append(text[position : match.start()])
        position = after.end() if after else match.end()
    return " ".join([*pieces, text[position:]])


@functools.lru_cache(maxsize=8192)
def prepared(quote: str) -> str:
    """NFKC (full-width digits and "％" become ASCII), every decimal digit as ASCII."""
    text = unicodedata.normalize("NFKC", quote).replace("\u066b", ".").replace("\u066c", ",")
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if _foreign_digit(ch) else ch for ch in text)


def _foreign_digit(ch: str) -> bool:
    return not ch.isascii() and unicodedata.decimal(ch, None) is not None


def _span_readings(span: str) -> set[float]:
    """What one run of digits and separators can mean (module docstring)."""
    readings = _parsed(span)
    if any(space in span for space in _GROUP_SPACES) and not _GROUPED.fullmatch(span):
        for part in re.split(f"[{_GROUP_SPACES}]", span):
            readings |= _parsed(part) or _digit_runs(part)
    if match := re.fullmatch(r"(\d{1,3})[.,](\d{3})", span):
        readings |= {float(match[1] + match[2]), float(f"{match[1]}.{match[2]}")}
    return readings or _digit_runs(span)


def _parsed(text: str) -> set[float]:
    try:
        return {float(parse_number(text)[0])}
    except CoercionError:
        return set()


def _digit_runs(text: str) -> set[float]:
    return {float(run) for run in re.findall(r"\d+", text)}


def _scaled(readings: set[float], word: str) -> set[float]:
    if word in _PERCENT:
        return {number / 100 for number in readings}
    return {number * _SCALES[word] for number in readings}


def _word_numbers(folded: str) -> list[float]:
    """Numbers written in words: each word alone, and runs such as "twenty-seven" or
    "two hundred and five" (also "siebenundzwanzig") added up."""
    found: list[float] = []
    total, current, active = 0, 0, False
    for token in [*re.findall(r"[^\W\d_]+", folded), ""]:
        value = _word_value(token)
        if value is None and active and token in _JOINERS:
            continue
        if value is None:
            if active:
                found.append(total + current)
            total, current, active = 0, 0, False
            continue
        found.append(value)
        if token in _WORD_SCALES and value >= 1000:
            total, current = total + max(current, 1) * value, 0
        elif token in _WORD_SCALES:
            current = max(current, 1) * value
        else:
            current += value
        active = True
    return found


def _word_value(token: str) -> int | None:
    for table in (_UNITS, _TENS, _WORD_SCALES):
        if token in table:
            return table[token]
    unit, joined, ten = token.partition("und")  # German: sieben-und-zwanzig
    if joined and unit in _UNITS and ten in _TENS:
        return _UNITS[unit] + _TENS[ten]
    return None


def _cjk_readings(run: str) -> set[float]:
    """ "一九九四" digit by digit (and each digit), "二十七" / "一亿二千万" positionally."""
    if all(ch in _CJK_DIGITS for ch in run):
        digits = "".join(str(_CJK_DIGITS[ch]) for ch in run)
        return {float(digits)} | {float(_CJK_DIGITS[ch]) for ch in run}
    return {float(_cjk_positional(run))}


def _cjk_positional(run: str) -> int:
    for ch, factor in _CJK_BIG.items():  # 亿 before 万: "一亿二千万" is 1 x 亿 + 2000 x 万
        if ch in run and factor == max(_CJK_BIG[c] for c in run if c in _CJK_BIG):
            high, _, low = run.partition(ch)
            return (_cjk_positional(high) if high else 1) * factor + (
                _cjk_positional(low) if low else 0
            )
    section = number = 0
    for ch in run:
        if ch in _CJK_SMALL:
            section += (number or 1) * _CJK_SMALL[ch]
            number = 0
        else:
            number = _CJK_DIGITS[ch]
    return section + number


# --- dates ---------------------------------------------------------------------------

_CJK_DATE_NUMERAL = re.compile(r"([〇零一二三四五六七八九十]+)(?=\s*[年月日号])")
_CJK_DATE = re.compile(
    r"(?<!\d)(\d{4})\s*[年년]\s*(?:(\d{1,2})\s*[月월]\s*(?:(\d{1,2})\s*[日号일])?)?"
)
_CJK_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日号일]")
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_MONTH_YEAR = re.compile(r"(?<![\d./-])(\d{1,2})[/.](\d{4})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")


@functools.lru_cache(maxsize=8192)
def dates_in(quote: str) -> frozenset[DateParts]:
    """Every (year, month, day) the quote may be read as writing; unknown parts None."""
    text = _CJK_DATE_NUMERAL.sub(lambda m: _cjk_date_number(m.group(1)), prepared(quote))
    found: set[DateParts] = set()
    for year, month, day in _CJK_DATE.findall(text):
        found.add(_parts(year, month, day))
    for month, day in _CJK_MONTH_DAY.findall(text):
        found.add(_parts("", month, day))
    for year, month, day in _ISO.findall(text):
        found.add(_parts(year, month, day))
    for first, separator, second, year in _NUMERIC.findall(text):
        orders = [(second, first)] if separator == "." else [(second, first), (first, second)]
        for century in _centuries(year):
            found |= {_parts(century, month, day) for month, day in orders}
    for month, year in _MONTH_YEAR.findall(text):
        found.add(_parts(year, month, ""))
    for year, month, day in _COMPACT.findall(text):
        found.add(_parts(year, month, day))
    found |= _worded_dates(fold(text))
    found |= {_parts(year, "", "") for year in _YEAR.findall(text)}
    return frozenset(parts for parts in found if _valid(parts))


def has_era_year(quote: str) -> bool:
    """Japanese or Republic of China era years ("令和3年"): not read, not a mismatch."""
    return any(era in quote for era in _ERAS)


def _cjk_date_number(run: str) -> str:
    if all(ch in _CJK_DIGITS for ch in run):
        return "".join(str(_CJK_DIGITS[ch]) for ch in run)
    return str(_cjk_positional(run))


def _parts(year: str, month: str, day: str) -> DateParts:
    return (int(year) if year else None, int(month) if month else None, int(day) if day else None)


def _centuries(year: str) -> list[str]:
    return [year] if len(year) == 4 else [f"19{year}", f"20{year}"]


def _valid(parts: DateParts) -> bool:
    year, month, day = parts
    try:
        datetime.date(year or 2000, month or 1, day or 1)  # 2000: leap, for 29 February
    except ValueError:
        return False
    return year is None or 1000 <= year <= 2999


def _worded_dates(folded: str) -> set[DateParts]:
    """Dates around a month name: a day just before or after it, a year just after
    (or before, "2007 December 13"). A month name alone ("may") is not a date."""
    tokens = [token for token in _TOKEN.findall(folded) if not is_date_filler(token)]
    found = set()
    for index, token in enumerate(tokens):
        month = month_number(token)
        if month is None:
            continue
        before, after = tokens[max(index - 1, 0) : index], tokens[index + 1 : index + 3]
        day = _first(before, _is_day) or _first(after[:1], _is_day)
        year = _first(after, _is_year) or _first(tokens[max(index - 2, 0) : index], _is_year)
        if day or year:
            found.add(_parts(year or "", str(month), day or ""))
    return found


def _first(tokens: list[str], test) -> str | None:
    return next((token for token in tokens if test(token)), None)


def _is_day(token: str) -> bool:
    return token.isdigit() and len(token) <= 2 and 1 <= int(token) <= 31


def _is_year(token: str) -> bool:
    return token.isdigit() and len(token) == 4
