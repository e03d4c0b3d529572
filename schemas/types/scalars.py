"""Types of one value: text, integer, number, yes/no, date."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from schemas.types.base import ValueType, normalise_text, nullable_type
from schemas.types.dates import parse_date
from schemas.types.errors import CoercionError
from schemas.types.evidence import (
    Support,
    boolean_support,
    date_support,
    number_support,
    text_support,
)
from schemas.types.names import VariableType
from schemas.types.numeric import parse_number, tidy_number
from schemas.types.words import show, yes_no

# Two numbers agree within this relative (and, near zero, absolute) tolerance.
NUMBER_REL_TOL = 1e-6
NUMBER_ABS_TOL = 1e-12

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
DATE_DESCRIPTION = "Date as YYYY-MM-DD, or YYYY-MM / YYYY when only the month or year is given."


class Text(ValueType):
    name = VariableType.TEXT
    help_text = "A short free-text answer, quoted or paraphrased from the document."
    prompt_format = "a short text, in the document's own words where possible"

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise CoercionError(f"expected a text, got {show(raw)}")
        return str(raw).strip(), []

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        return text_support(value, quote)


class Number(ValueType):
    name = VariableType.NUMBER
    help_text = "A number, decimals allowed, without units."
    prompt_format = (
        "a number in digits with a dot as decimal point, without units, percent "
        "signs or thousands separators (e.g. 1250.5; write 12% as 12)"
    )
    widget = "decimal"
    json_type = "number"

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        if isinstance(raw, bool):
            raise CoercionError(f"expected a number, got {show(raw)}")
        if isinstance(raw, int):
            return raw, []
        if isinstance(raw, float):
            return tidy_number(raw, raw), []
        if isinstance(raw, str):
            return parse_number(raw)
        raise CoercionError(f"expected a number, got {show(raw)}")

    def comparable(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return normalise_text(value)
        if isinstance(value, int | float | Decimal):
            number = float(value)
            return number if not math.isnan(number) else None
        if isinstance(value, str):
            try:
                return self.comparable(float(value.strip()))
            except ValueError:
                pass
        return normalise_text(value)

    def same(self, model: Any, human: Any) -> bool:
        if isinstance(model, float) and isinstance(human, float):
            return math.isclose(model, human, rel_tol=NUMBER_REL_TOL, abs_tol=NUMBER_ABS_TOL)
        return model == human

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        return number_support(value, quote)

    def value_schema(self, variable: dict, *, nullable: bool) -> dict:
        return {"type": nullable_type(self.json_type, nullable)}


class Integer(Number):
    name = VariableType.INTEGER
    help_text = "A whole number, without units or thousands separators."
    prompt_format = (
        "a whole number in digits, without units, words or thousands separators (e.g. 1250)"
    )
    widget = "whole_number"
    json_type = "integer"

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        number, notes = super().coerce(variable, raw)
        if isinstance(number, float):
            raise CoercionError(f"{show(raw)} is not a whole number")
        return number, notes

    def comparable(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # not through float: big integers would lose digits
        number = super().comparable(value)
        if isinstance(number, float) and number.is_integer():
            return int(number)
        return number

    def same(self, model: Any, human: Any) -> bool:
        return model == human


class Boolean(ValueType):
    name = VariableType.BOOLEAN
    help_text = "Yes or no."
    prompt_format = "true or false"
    widget = "yes_no"
    kappa = "classes"

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        if isinstance(raw, bool):
            return raw, []
        if isinstance(raw, int | float) and raw in (0, 1):
            return bool(raw), []
        if isinstance(raw, str) and (answer := yes_no(raw)) is not None:
            return answer, []
        raise CoercionError(f"expected true or false, got {show(raw)}")

    def comparable(self, value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = normalise_text(value)
        answer = yes_no(text) if text is not None else None
        return text if answer is None else answer

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        return boolean_support(quote)

    def value_schema(self, variable: dict, *, nullable: bool) -> dict:
        return {"type": nullable_type("boolean", nullable)}

    def value_labels(self, variable: dict) -> dict[int, str]:
        return {0: "no", 1: "yes"}


class Date(ValueType):
    name = VariableType.DATE
    help_text = "A date as YYYY-MM-DD (or YYYY-MM, YYYY when only that is known)."
    prompt_format = (
        "a date written YYYY-MM-DD; YYYY-MM or YYYY when the document gives only the "
        "month or only the year"
    )
    widget = "iso_date"
    is_date = True

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        if isinstance(raw, int) and not isinstance(raw, bool) and 1000 <= raw <= 9999:
            return str(raw), []
        if not isinstance(raw, str):
            raise CoercionError(f"expected a date, got {show(raw)}")
        return parse_date(raw)

    def comparable(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        match = _DATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            return normalise_text(value)
        year, month, day = match.groups()
        parts = [year] + [f"{int(part):02d}" for part in (month, day) if part is not None]
        return "-".join(parts)

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        return date_support(value, quote)

    def value_schema(self, variable: dict, *, nullable: bool) -> dict:
        return {"type": nullable_type("string", nullable), "description": DATE_DESCRIPTION}
