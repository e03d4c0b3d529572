"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest.

Python's JSON decoder recurses once per level of nesting: a body of a few kilobytes
such as ``{"name": [[[[...]]]]}`` 1,000 levels deep exhausts the interpreter's recursion
limit, and the ``RecursionError`` used to surface as a 500 before authentication even
ran. No request of this API needs more than a handful of levels (a correction to a list
variable is two), so anything deeper than ``MAX_DEPTH`` is refused as a 400 in the
API's error format. The parser is the project-wide default (``REST_FRAMEWORK``), so no
view can forget the check.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Levels of arrays and objects a request body may have: the deepest body the API takes
# is 3 ({"human_value": ["a", "b"]}); 64 leaves room for any client library's habits.
MAX_DEPTH = 64


class TooDeep(ParseError):
    default_code = "too_deeply_nested"


def nesting_depth(data: Any, *, limit: int) -> int:
    """Levels of lists and dicts in ``data``, counted without recursion; stops counting
    (returns ``limit + 1``) as soon as the limit is passed."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _too_deep() -> TooDeep:
    return TooDeep(
        f"The JSON body is nested more than {MAX_DEPTH} levels deep; "
        "no request of this API needs that many."
    )


def json_loads_bounded(text: str | bytes) -> Any:
    """``json.loads`` for client input: ValueError for malformed JSON, TooDeep past
    ``MAX_DEPTH`` levels (before the decoder's recursion can fail on its own).

    A string holding half a surrogate pair (``"\\ud800"``: valid JSON syntax, not a
    character) is malformed too: no database can store it, and it would fail the
    save with a 500 wherever it landed.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    if nesting_depth(data, limit=MAX_DEPTH) > MAX_DEPTH:
        raise _too_deep()
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "a \\u escape names half of a surrogate pair, which is not a character"
        ) from None
    return data


def _refuse_constant(name: str):
    # NaN and Infinity are not JSON (RFC 8259); DRF refuses them too (STRICT_JSON).
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the depth bound; every other behaviour is DRF's."""

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's own charset check: text encodings only (a bz2 "charset" would inflate).
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json_loads_bounded(codecs.getreader(encoding)(stream).read())
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
