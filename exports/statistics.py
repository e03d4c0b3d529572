"""Stata (.dta) and SPSS (.sav) files: a labelled DataFrame written by pyreadstat.

Both formats get the same preparation (:func:`labelled_frame`); what differs is a
:class:`Flavour` (name rules, label limits, the date epoch). The column plan
(:func:`file_fields`) and the value helpers are shared with :mod:`exports.parquet`.

How each column is written (Parquet's types in :mod:`exports.parquet`):

==================  ========================================  =========================
column              Stata / SPSS                              value labels
==================  ========================================  =========================
integer, id,        Stata long (double past long's range,     none
offsets             exact to 2**53); SPSS numeric
number, confidence  double                                    none
boolean             0/1                                       0 no, 1 yes
category            1..n in the order of the allowed values   the allowed values
date                date (``%td``, ``DATE11``), full dates    none
  + ``<key>__text`` the ISO text as stored, partial or full   none
multi_category      the items joined with ``"; "`` (text)     none
  + ``<key>__<v>``  0/1 per allowed value                     0 no, 1 yes
list                the items joined with ``"; "`` (text)     none
table-row fields    integer, double or 0/1 when every value   0 no, 1 yes for 0/1
                    is one, else text
text and the rest   text (Stata strL past 2,045 bytes)        none
==================  ========================================  =========================

"The rest" is the document columns (``document_metadata`` as JSON text), the audit
columns ``__review``, ``__status``, ``__evidence`` and, in the long layout, ``variable``,
``value``, ``model_value`` and ``human_value`` (values of every type in one column: the
text CSV writes, lists joined with ``"; "``, booleans ``TRUE``/``FALSE``),
``review_status`` and ``status``. Statuses stay text rather than coded: the words are
the meaning, and a code would change meaning the day a status is added. A category's
``__model`` and ``__human`` columns are coded like the category, a number's are numbers.

**Partial dates.** A ``YYYY`` or ``YYYY-MM`` value is not a day, and a date column
cannot hold it without inventing one (1 January, the first of the month), which a
reader would take for a fact. So a date variable's column holds the full dates only
(a partial one is missing there), and ``<key>__text`` holds every value as stored,
partial ones included: nothing is lost, the date column can be used as a date, and
the file has the same columns whatever the data. A date variable's ``__model`` and
``__human`` audit columns are the ISO text alone: they are the trail, not the variable.

**Names.** Both packages get names of ASCII letters, digits and underscores starting
with a letter: accents are dropped, anything else becomes ``_``, leading and trailing
underscores go (``var`` when nothing is left), a reserved word or a name starting with
a digit gets a ``v_`` prefix; at most 64 characters for SPSS, and for Stata 32 less
the digits of the file's column count (pyreadstat names each value-label set after its
variable plus a counter, and Stata takes no set name past 32 characters); unique
ignoring case (SPSS ignores it; Stata does not, but a name should not depend on the
format). Names valid as they are keep them, first come first served; the others are
then made valid in column order, shortened keeping the part after the last ``__``
(``<key>__confidence`` stays recognisable), and ``_2``, ``_3``... make them unique.
:func:`stata_names` and :func:`spss_names` give every column's name in the file (and
:func:`renamed` the changed ones), so a codebook can list the renames.

**Dummies.** A multi-category's allowed value ``v`` gets the column ``<key>__<slug>``:
the value in lower case, accents dropped, anything but letters and digits as ``_``, at
most 30 characters (the value's code when nothing is left, e.g. for a value in another
script); ``_2``... when another column has that name (``<key>__model`` stays the audit
column's). It is 1 when the value holds the allowed value, 0 when it does not, missing
when the variable has no value. The same names are used in Parquet.

**Missing values.** None is system-missing (``.``) in a numeric column (coded ones
included) and an empty string in a text column. So is a value the column's type cannot
hold: a non-finite number, an impossible date ("2023-02-30", kept in ``__text``). A
category value outside the allowed values is not lost: it gets the next code after
them, labelled with its text.

**Text** is written as it is: these are data files, no spreadsheet evaluates them, so
there is no formula quoting. NUL ends a string in both formats and is removed; unpaired
surrogates (no UTF-8 form) become U+FFFD. Stata's strL holds any length (pyreadstat
writes strL by itself past 2,045 bytes); SPSS strings stop at 32,767 bytes, so a longer
text is cut with a note of its full length. Variable labels are the variables' labels
(an audit column's says which, a dummy's names its value), cut to 80 characters
(Stata) or 256 bytes (SPSS), value labels to 32,000 and 120 bytes; the codebook has
them in full. SPSS measurement levels: scale for numbers and dates, nominal for the
rest, the document id included (nothing says a category is ordered, so none is
ordinal).

The whole table becomes one DataFrame (pyreadstat writes a DataFrame); numeric columns
are packed arrays, not Python objects.
"""

from __future__ import annotations

import array
import contextlib
import dataclasses
import datetime as dt
import math
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import numpy as np
import pandas as pd
import pyreadstat
from django.conf import settings

from exports.cells import scalar_text
from exports.layout import Column
from exports.writers import ExportTable
from schemas.types import TYPES, VariableType

# How a column's values are written (its "role"); see the module docstring.
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
DATE = "date"
CATEGORY = "category"
ITEMS = "items"
DUMMY = "dummy"
TEXT = "text"
METADATA = "metadata"  # a table row's field: integer, number, boolean or text once all are seen

ROLE_OF_TYPE = {
    VariableType.TEXT: TEXT,
    VariableType.INTEGER: INTEGER,
    VariableType.NUMBER: NUMBER,
    VariableType.BOOLEAN: BOOLEAN,
    VariableType.DATE: DATE,
    VariableType.CATEGORY: CATEGORY,
    VariableType.MULTI_CATEGORY: ITEMS,
    VariableType.LIST: ITEMS,
}
ROLE_OF_KIND = {"id": INTEGER, "offset": INTEGER, "confidence": NUMBER, "metadata": METADATA}
CODED_ROLES = frozenset({BOOLEAN, CATEGORY, DUMMY})
SCALE_ROLES = frozenset({INTEGER, NUMBER, DATE})

DATE_TEXT_SUFFIX = "__text"
SLUG_CHARS = 30
INT64 = (-(2**63), 2**63 - 1)
STATA_LONG = (-2_147_483_647, 2_147_483_620)  # beyond: Stata's missing-value codes
YES_NO = TYPES[VariableType.BOOLEAN].value_labels({})

# Labels of the columns that are not a variable's (fixed, document and long columns).
COLUMN_LABELS = {
    "document_id": "Document id",
    "document_name": "Document name",
    "document_status": "Document status (ready, not_processed, extraction_failed...)",
    "document_error": "Why the document has no values",
    "document_metadata": "Document metadata (JSON)",
    "variable": "Variable key",
    "value": "Final value (as text)",
    "model_value": "Model's value (as text)",
    "human_value": "Person's correction (as text)",
    "review_status": "Review: unchecked, verified or corrected",
    "status": "How the checks judged the model's value",
    "confidence": "Model's confidence (0 to 1)",
    "evidence": "Evidence quote",
    "evidence_start": "Start of the quote in the text (character offset)",
    "evidence_end": "End of the quote in the text (character offset)",
}
# What an audit column of a variable shows, after the variable's label.
FIELD_LABELS = {
    "model": "model's value",
    "human": "person's correction",
    "review": "review",
    "status": "check status",
    "confidence": "model's confidence",
    "evidence": "evidence",
}

_FULL_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SURROGATES_RE = re.compile("[\ud800-\udfff]")
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NOT_NAME_RE = re.compile(r"[^A-Za-z0-9_]+")
_NOT_SLUG_RE = re.compile(r"[^a-z0-9]+")


# --- the columns of a file --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileField:
    """One column of a Stata, SPSS or Parquet file: a table column, or one derived from
    it (a date's ``__text``, a multi-category's dummies), reading the value at ``index``
    of each row. ``option`` is a dummy's allowed value."""

    name: str
    index: int
    role: str
    label: str
    kind: str
    variable: Mapping[str, Any] | None = None
    option: str | None = None


def file_fields(
    columns: Sequence[Column | str], codebook: Sequence[Mapping[str, Any]] = ()
) -> list[FileField]:
    """The columns of the file in order: each table column, a date variable's
    ``__text`` after it, a multi-category's dummies after it. A plain name is taken for
    a text column. Derived names never take a table column's name (ignoring case)."""
    variables = {variable["key"]: variable for variable in codebook}
    columns = [c if isinstance(c, Column) else Column(c, VariableType.TEXT) for c in columns]
    taken = {column.name.casefold() for column in columns}
    fields: list[FileField] = []
    for index, column in enumerate(columns):
        variable = _variable_of(column, variables)
        role, label = _role(column), _label(column, variable)
        fields.append(FileField(column.name, index, role, label, column.kind, variable))
        if role == DATE:
            name = _claim(column.name + DATE_TEXT_SUFFIX, taken)
            text_label = f"{label} (as stored: YYYY-MM-DD, YYYY-MM or YYYY)"
            fields.append(FileField(name, index, TEXT, text_label, column.kind, variable))
        elif column.kind == VariableType.MULTI_CATEGORY and column.field == "value":
            fields += _dummies(column, index, label, variable or {}, taken)
    return fields


def _variable_of(
    column: Column, variables: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The variable a column shows: its value (named by the key) or an audit column
    (the key and a suffix). The long layout's columns, named as they are, show none."""
    if column.kind in {"id", "metadata", "document"}:
        return None
    if column.kind in TYPES or column.name != column.source:
        return variables.get(column.source)
    return None


def _role(column: Column) -> str:
    if column.kind in ROLE_OF_KIND:
        return ROLE_OF_KIND[column.kind]
    role = ROLE_OF_TYPE.get(column.kind, TEXT)
    if role == DATE and column.field != "value":
        return TEXT  # a model's or a person's partial date is kept in the audit trail
    return role


def _label(column: Column, variable: Mapping[str, Any] | None) -> str:
    if column.kind == "metadata":
        return column.source  # the table's own header, whatever the column is named
    if variable is None and column.name in COLUMN_LABELS:
        return COLUMN_LABELS[column.name]
    base = (variable or {}).get("label") or column.source
    if column.field == "value":
        return base
    return f"{base} ({FIELD_LABELS.get(column.field, column.field)})"


def _dummies(
    column: Column, index: int, label: str, variable: Mapping[str, Any], taken: set[str]
) -> list[FileField]:
    return [
        FileField(
            _claim(f"{column.name}__{_slug(option, code)}", taken),
            index,
            DUMMY,
            f"{label}: {option}",
            column.kind,
            variable,
            option,
        )
        for code, option in TYPES[VariableType.MULTI_CATEGORY].value_labels(dict(variable)).items()
    ]


def _slug(text: str, code: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG_RE.sub("_", ascii_text).strip("_")[:SLUG_CHARS].rstrip("_")
    return slug or str(code)


def _claim(base: str, taken: set[str], limit: int | None = None) -> str:
    """``base``, or ``base_2``, ``base_3``... (shortened to ``limit``): the first name no
    other column has, ignoring case; claimed."""
    name, number = base, 1
    while name.casefold() in taken:
        number += 1
        suffix = f"_{number}"
        name = (base if limit is None else base[: limit - len(suffix)]) + suffix
    taken.add(name.casefold())
    return name


# --- names ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameRules:
    """The column names a package accepts (here: ASCII, starting with a letter)."""

    max_length: int
    reserved: frozenset[str]
    reserved_pattern: re.Pattern[str] | None = None
    # pyreadstat names a Stata value-label set after its variable plus a counter
    # (``stance12``), and Stata refuses a set name past 32 characters: a file of n
    # columns keeps room for n's digits in every name.
    label_set_suffix: bool = False

    def for_columns(self, count: int) -> NameRules:
        """The rules for a file of ``count`` columns."""
        if not self.label_set_suffix:
            return self
        return dataclasses.replace(self, max_length=self.max_length - len(str(count)))

    def allows(self, name: str) -> bool:
        return (
            len(name) <= self.max_length
            and _NAME_RE.fullmatch(name) is not None
            and not self.is_reserved(name)
        )

    def is_reserved(self, name: str) -> bool:
        folded = name.lower()
        pattern = self.reserved_pattern
        return folded in self.reserved or (pattern is not None and bool(pattern.fullmatch(folded)))


# Stata's reserved names (``help reswords``; str1..str2045 by pattern), compared in
# lower case; SPSS's reserved keywords.
STATA_RESERVED = frozenset({
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
    "_n", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with",
})  # fmt: skip
SPSS_RESERVED = frozenset({
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with",
})  # fmt: skip
STATA_NAMES = NameRules(32, STATA_RESERVED, re.compile(r"str\d+"), label_set_suffix=True)
SPSS_NAMES = NameRules(64, SPSS_RESERVED)


def file_names(names: Sequence[str], rules: NameRules) -> dict[str, str]:
    """Each name and the one it has in the file (see the module docstring's rule)."""
    rules = rules.for_columns(len(names))
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        if rules.allows(name) and name.casefold() not in taken:
            chosen[name] = name
            taken.add(name.casefold())
    for name in names:
        if name not in chosen:
            chosen[name] = _claim(_legal(name, rules), taken, rules.max_length)
    return {name: chosen[name] for name in names}


def _legal(name: str, rules: NameRules) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = _NOT_NAME_RE.sub("_", text).strip("_") or "var"
    if not text[0].isalpha():
        text = "v_" + text
    text = _shorten(text, rules.max_length)
    if rules.is_reserved(text):
        text = _shorten("v_" + text, rules.max_length)
    return text


def _shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, keeping the part after the last ``__`` (up to half)."""
    if len(text) <= limit:
        return text
    stem, separator, tail = text.rpartition("__")
    if separator and stem:
        tail = (separator + tail)[: limit // 2]
        text = stem[: limit - len(tail)].rstrip("_") + tail
    else:
        text = text[:limit]
    return text.rstrip("_")


def stata_names(
    columns: Sequence[Column | str], codebook: Sequence[Mapping[str, Any]] = ()
) -> dict[str, str]:
    """Every column of the Stata file of ``columns`` (an ``ExportTable``'s, with its
    codebook for the dummies) and its name there, in file order. The renamed ones are
    ``{old: new for old, new in stata_names(...).items() if old != new}``."""
    return file_names([f.name for f in file_fields(columns, codebook)], STATA_NAMES)


def spss_names(
    columns: Sequence[Column | str], codebook: Sequence[Mapping[str, Any]] = ()
) -> dict[str, str]:
    """As :func:`stata_names`, for the SPSS file."""
    return file_names([f.name for f in file_fields(columns, codebook)], SPSS_NAMES)


def renamed(names: Mapping[str, str]) -> dict[str, str]:
    """Only the columns whose name changed, from :func:`stata_names` or :func:`spss_names`."""
    return {old: new for old, new in names.items() if old != new}


# --- values (shared with Parquet) -------------------------------------------------------


def whole_number(value: Any) -> int | None:
    """An integer, or None for anything that is not a whole number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return int(value)
    return None


def real_number(value: Any) -> float | None:
    """A finite float, or None (neither format has a missing-value code for infinity)."""
    if not isinstance(value, int | float | Decimal):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def full_date(value: Any) -> dt.date | None:
    """The day of a full ISO date; None for a partial (``YYYY``, ``YYYY-MM``) or bad one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _FULL_DATE_RE.fullmatch(value.strip()):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(value.strip())
    return None


def utf8_safe(text: str) -> str:
    """Unpaired surrogates (no UTF-8 form) as U+FFFD."""
    if text.isascii():
        return text
    return _SURROGATES_RE.sub("\ufffd", text)


def items_of(value: Any) -> list[str] | None:
    """A list or multi-category value as its items' texts (one value: one item)."""
    if value is None:
        return None
    if isinstance(value, list | tuple | set | frozenset):
        return [utf8_safe(scalar_text(item)) for item in value]
    return [utf8_safe(scalar_text(value))]


def dummy(value: Any, option: str) -> int | None:
    """1 when the value holds ``option``, 0 when not, None when there is no value."""
    found = items_of(value)
    if found is None:
        return None
    return int(option in found)


class MetadataKinds:
    """The kinds of value a table-row field holds, to type its column once all are
    seen: integers, numbers or yes/no when every value is one, else text."""

    __slots__ = ("kinds",)

    def __init__(self) -> None:
        self.kinds: set[str] = set()

    def add(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            kind = "bool"
        elif isinstance(value, int):
            kind = "int" if INT64[0] <= value <= INT64[1] else "other"
        elif isinstance(value, float):
            kind = "float"
        else:
            kind = "other"
        self.kinds.add(kind)

    @property
    def role(self) -> str:
        if self.kinds == {"bool"}:
            return BOOLEAN
        if self.kinds == {"int"}:
            return INTEGER
        if self.kinds and self.kinds <= {"int", "float"}:
            return NUMBER
        return TEXT


# --- Stata and SPSS ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flavour:
    """What differs between a Stata and an SPSS file (limits as pyreadstat enforces)."""

    names: NameRules
    label_chars: int
    label_bytes: int
    value_label_bytes: int
    file_label_bytes: int
    string_bytes: int | None  # None: no limit (Stata's strL)
    date_epoch: dt.date
    date_unit: int  # the file's date units per day
    date_format: str


STATA = Flavour(
    names=STATA_NAMES,
    label_chars=80,
    label_bytes=320,
    value_label_bytes=32_000,
    file_label_bytes=80,
    string_bytes=None,
    date_epoch=dt.date(1960, 1, 1),
    date_unit=1,
    date_format="%td",
)
SPSS = Flavour(
    names=SPSS_NAMES,
    label_chars=256,
    label_bytes=256,
    value_label_bytes=120,
    file_label_bytes=64,
    string_bytes=32_767,
    date_epoch=dt.date(1582, 10, 14),
    date_unit=86_400,
    date_format="DATE11",
)


@dataclass(slots=True)
class LabelledFrame:
    """A table ready for pyreadstat: the data under the file's names, and its labels."""

    frame: pd.DataFrame
    rows: int
    column_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[int, str]] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


class _Codes:
    """A category's codes: 1..n for the allowed values in codebook order, then n+1...
    for any other value met, labelled with its text (kept rather than lost). Shared by
    a variable's value and audit columns, so a code means the same in each."""

    def __init__(self, variable: Mapping[str, Any]) -> None:
        self.labels: dict[int, str] = TYPES[VariableType.CATEGORY].value_labels(dict(variable))
        self.codes = {text: code for code, text in self.labels.items()}

    def code(self, value: Any) -> float | None:
        if value is None:
            return None
        text = utf8_safe(scalar_text(value))
        if text not in self.codes:
            number = max(self.labels, default=0) + 1
            self.labels[number] = text
            self.codes[text] = number
        return float(self.codes[text])


def _stat_text(flavour: Flavour) -> Callable[[Any], str]:
    """A value as the text a Stata or SPSS string holds: no NUL, valid UTF-8, and for
    SPSS at most 32,767 bytes."""

    def convert(value: Any) -> str:
        if value is None:
            return ""
        text = utf8_safe(scalar_text(value))
        if "\x00" in text:
            text = text.replace("\x00", "")
        if flavour.string_bytes is not None and len(text) * 4 > flavour.string_bytes:
            text = _cap_string(text, flavour.string_bytes)
        return text

    return convert


def _cap_string(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = f" [truncated: {len(text):,} characters in full, see the CSV or JSON export]"
    room = limit - len(marker.encode("utf-8"))
    return data[:room].decode("utf-8", "ignore") + marker


def fit_label(text: str, *, chars: int, limit: int) -> str:
    """``text`` cut to ``chars`` characters and ``limit`` UTF-8 bytes, ending with "…"
    when cut (labels have a fixed room in both formats)."""
    text = utf8_safe(text).replace("\x00", "")
    if len(text) <= chars and len(text.encode("utf-8")) <= limit:
        return text
    text = text[: chars - 1]
    data = text.encode("utf-8")[: limit - len("…".encode())]
    return data.decode("utf-8", "ignore") + "…"


def _converter(item: FileField, flavour: Flavour, codes: dict[str, _Codes]) -> Callable[[Any], Any]:
    """How a cell of ``item`` is written: a float (NaN: missing) or a string."""
    role = item.role
    if role == INTEGER:
        return lambda value: real_number(whole_number(value))
    if role == NUMBER:
        return real_number
    if role == BOOLEAN:
        return lambda value: real_number(truth(value))
    if role == DATE:
        return lambda value: _date_number(value, flavour)
    if role == CATEGORY:
        key = (item.variable or {}).get("key") or item.name
        if key not in codes:
            codes[key] = _Codes(item.variable or {})
        return codes[key].code
    if role == DUMMY:
        option = item.option or ""
        return lambda value: real_number(dummy(value, option))
    return _stat_text(flavour)  # text, joined items


def _date_number(value: Any, flavour: Flavour) -> float | None:
    day = full_date(value)
    if day is None:
        return None
    return float((day - flavour.date_epoch).days * flavour.date_unit)


class _Sink:
    """One column's cells as they are read: packed doubles, or a list of Python values."""

    __slots__ = ("convert", "index", "numbers", "values", "kinds")

    def __init__(self, index: int, convert: Callable[[Any], Any] | None, numeric: bool) -> None:
        self.index = index
        self.convert = convert
        self.numbers = array.array("d") if numeric else None
        self.values: list[Any] = []
        self.kinds = MetadataKinds() if convert is None else None

    def add(self, value: Any) -> None:
        if self.kinds is not None:  # a table row's field: typed once every value is seen
            self.kinds.add(value)
            self.values.append(value)
        elif self.numbers is not None:
            number = self.convert(value)
            self.numbers.append(math.nan if number is None else number)
        else:
            self.values.append(self.convert(value))


def labelled_frame(table: ExportTable, flavour: Flavour) -> LabelledFrame:
    """Read the table's rows (once) into a DataFrame with the file's names, variable
    labels, value labels, measurement levels and display formats."""
    fields = file_fields(table.columns, table.codebook)
    names = file_names([item.name for item in fields], flavour.names)
    codes: dict[str, _Codes] = {}
    sinks = [
        _Sink(
            item.index,
            None if item.role == METADATA else _converter(item, flavour, codes),
            item.role not in {TEXT, ITEMS, METADATA},
        )
        for item in fields
    ]
    rows = 0
    for row in _rows(table):
        for sink in sinks:
            sink.add(row[sink.index])
        rows += 1
    result = LabelledFrame(frame=pd.DataFrame(), rows=rows, names=names)
    series = {}
    for item, sink in zip(fields, sinks, strict=True):
        name = names[item.name]
        role = item.role
        if role == METADATA:
            role = sink.kinds.role
            sink = _typed_metadata(sink, role, flavour, codes, item)
        series[name] = _series(sink, role)
        _describe(result, name, item, role, flavour, codes)
    result.frame = pd.DataFrame(series, index=pd.RangeIndex(rows))
    return result


def _typed_metadata(
    sink: _Sink, role: str, flavour: Flavour, codes: dict[str, _Codes], item: FileField
) -> _Sink:
    """A table-row field's values, written now that its type is known."""
    typed = _Sink(sink.index, _converter(_with_role(item, role), flavour, codes), role != TEXT)
    for value in sink.values:
        typed.add(value)
    return typed


def _with_role(item: FileField, role: str) -> FileField:
    return FileField(item.name, item.index, role, item.label, item.kind, item.variable)


def _series(sink: _Sink, role: str) -> pd.Series:
    if sink.numbers is None:
        return pd.Series(sink.values, dtype=object)
    numbers = np.frombuffer(sink.numbers, dtype=np.float64) if sink.numbers else np.empty(0)
    if role in CODED_ROLES or (role == INTEGER and _fits_long(numbers)):
        return pd.Series(numbers).astype("Int32")  # Stata long; NaN becomes missing
    return pd.Series(numbers, dtype=np.float64)


def _fits_long(numbers: np.ndarray) -> bool:
    present = numbers[~np.isnan(numbers)]
    return bool(((present >= STATA_LONG[0]) & (present <= STATA_LONG[1])).all())


def _describe(
    result: LabelledFrame,
    name: str,
    item: FileField,
    role: str,
    flavour: Flavour,
    codes: dict[str, _Codes],
) -> None:
    result.column_labels[name] = fit_label(
        item.label, chars=flavour.label_chars, limit=flavour.label_bytes
    )
    labels: Mapping[int, str] | None = None
    if role == CATEGORY:
        labels = codes[(item.variable or {}).get("key") or item.name].labels
    elif role in {BOOLEAN, DUMMY}:
        labels = YES_NO
    if labels:
        result.value_labels[name] = {
            code: fit_label(text, chars=flavour.value_label_bytes, limit=flavour.value_label_bytes)
            for code, text in labels.items()
        }
    if role == DATE:
        result.formats[name] = flavour.date_format
    scale = role in SCALE_ROLES and item.kind != "id"
    result.measures[name] = "scale" if scale else "nominal"


def _rows(table: ExportTable) -> Iterator[Sequence[Any]]:
    """The rows, each checked for length: a short row would silently shift columns."""
    width = len(table.columns)
    for number, row in enumerate(table.rows, start=1):
        if len(row) != width:
            raise ValueError(f"Row {number} has {len(row)} values for {width} columns.")
        yield row


def file_label(metadata: Mapping[str, Any]) -> str:
    """``<project>, schema version <n>``, as a file's own label."""
    project = metadata.get("project") or "Dataset"
    version = metadata.get("schema_version")
    return f"{project}, schema version {version}" if version is not None else str(project)


@contextlib.contextmanager
def scratch_path(suffix: str) -> Iterator[str]:
    """A temporary file's path (pyreadstat writes to a path), next to the exports'
    own temporary files when Django is configured; removed afterwards."""
    folder = str(settings.DATA_DIR) if getattr(settings, "DATA_DIR", None) else None
    descriptor, path = tempfile.mkstemp(suffix=suffix, dir=folder)
    os.close(descriptor)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _copy(path: str, fileobj: IO[bytes]) -> None:
    with open(path, "rb") as source:
        shutil.copyfileobj(source, fileobj)


def write_dta(table: ExportTable, fileobj: IO[bytes]) -> int:
    """Write the table as a Stata 15 .dta file (format 118) to a binary file object;
    the number of data rows. Names, labels and types: see the module docstring."""
    labelled = labelled_frame(table, STATA)
    label = fit_label(file_label(table.metadata), chars=80, limit=STATA.file_label_bytes)
    with scratch_path(".dta") as path:
        pyreadstat.write_dta(
            labelled.frame,
            path,
            file_label=label,
            column_labels=labelled.column_labels,
            version=15,
            variable_value_labels=labelled.value_labels,
            variable_format=labelled.formats,
        )
        _copy(path, fileobj)
    return labelled.rows


def write_sav(table: ExportTable, fileobj: IO[bytes]) -> int:
    """Write the table as an SPSS .sav file (row-compressed) to a binary file object;
    the number of data rows. Names, labels, measures: see the module docstring."""
    labelled = labelled_frame(table, SPSS)
    limit = SPSS.file_label_bytes
    with scratch_path(".sav") as path:
        pyreadstat.write_sav(
            labelled.frame,
            path,
            file_label=fit_label(file_label(table.metadata), chars=limit, limit=limit),
            column_labels=labelled.column_labels,
            row_compress=True,
            variable_value_labels=labelled.value_labels,
            variable_measure=labelled.measures,
            variable_format=labelled.formats,
        )
        _copy(path, fileobj)
    return labelled.rows
