"""The one error a type raises when a value cannot be read as it."""

from __future__ import annotations


class CoercionError(ValueError):
    """The value cannot be read as the variable's type; the message says why."""
