"""What a variable type means, in one place (steps 2 to 5).

Each type is one ``ValueType`` object that reads a model's answer or a person's value,
reads the correction form, compares values for agreement, describes the value to the
model and gives value labels for statistical packages. Adding a type is one class here
and one name in ``names.py``; no other module writes a type's name.

Reading values (``read_value``), in brief: numbers accept "1,234.5", "1.234,5",
"12 %"; integers must come out whole; dates become ISO 8601 (``YYYY-MM-DD``, or
``YYYY-MM`` / ``YYYY``) and an ambiguous "03/05/2020" is refused rather than guessed;
categories match the allowed values ignoring case, accents and end punctuation (an
exact match wins); for lists and multi-categories an empty list is absent, repeats are
dropped, and a single string is a one-item list (for multi-categories a string that is
not itself an allowed value is split on ";" and ","); yes/no reads one vocabulary
(``words.TRUE_WORDS``, ``words.FALSE_WORDS``); null-like words ("n/a", "unknown") are
absent unless they name an allowed value.
The modules ``numeric`` and ``dates`` give the full rules.
"""

from __future__ import annotations

from typing import Any

from schemas.types.base import ValueType, normalise_text
from schemas.types.categories import allowed_values
from schemas.types.choices import Category, List, MultiCategory
from schemas.types.dates import parse_date
from schemas.types.errors import CoercionError
from schemas.types.names import VariableType
from schemas.types.numeric import parse_number
from schemas.types.scalars import Boolean, Date, Integer, Number, Text

_ALL = (Text(), Integer(), Number(), Boolean(), Date(), Category(), MultiCategory(), List())
TYPES: dict[str, ValueType] = {kind.name: kind for kind in _ALL}
CATEGORY_TYPES = frozenset(name for name, kind in TYPES.items() if kind.is_category)

__all__ = [
    "CATEGORY_TYPES",
    "TYPES",
    "CoercionError",
    "ValueType",
    "VariableType",
    "allowed_values",
    "normalise_text",
    "parse_date",
    "parse_number",
    "read_value",
    "value_type",
]


def value_type(kind: str) -> ValueType:
    """The type called ``kind``; ``ValueError`` for a name that is not a type."""
    try:
        return TYPES[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown variable type {kind!r}") from None


def read_value(variable: dict, raw: Any) -> tuple[Any, list[str]]:
    """The typed value of ``raw`` for ``variable`` (None when absent) and notes.

    Raises ``CoercionError`` with a message for a person when it cannot be read, the
    variable's type included.
    """
    kind = TYPES.get(variable.get("type"))
    if kind is None:
        raise CoercionError(f"unknown variable type {variable.get('type')!r}")
    return kind.read(variable, raw)
