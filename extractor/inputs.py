"""Serializer errors shown on a page: the pages check their forms with the API's
serializers, so a field has one rule and one message whichever way it arrives."""

from __future__ import annotations

from collections.abc import Mapping


def field_messages(errors: Mapping) -> dict[str, list[str]]:
    """A serializer's ``errors`` as sentences per field, the shape ``JobInputError`` and
    the pages' messages take. A nested error (an item of a list field) is kept under
    its field."""
    return {str(field): list(_sentences(problems)) for field, problems in errors.items()}


def _sentences(problems: object):
    if isinstance(problems, Mapping):
        for nested in problems.values():
            yield from _sentences(nested)
    elif isinstance(problems, list | tuple):
        for problem in problems:
            yield from _sentences(problem)
    else:
        yield str(problems)
