"""NUL characters never reach the database (PostgreSQL refuses them)."""

from __future__ import annotations

import pytest

from extractor.llm import records
from extractor.llm.models import LLMCall
from extractor.text import without_nul


def test_without_nul_cleans_nested_values():
    dirty = {"a\x00": ["x\x00y", {"k": "v\x00"}], "n": 3, "none": None}
    assert without_nul(dirty) == {"a": ["xy", {"k": "v"}], "n": 3, "none": None}


@pytest.mark.django_db
def test_the_ledger_stores_an_answer_holding_nul():
    call = records.record_start(request_hash="c" * 64, model="m")
    records.record_success(call, data={"value": "a\x00b"}, text='{"value": "a\\u0000b"}\x00')
    call.refresh_from_db()
    assert call.outcome == LLMCall.Outcome.SUCCESS
    assert call.response == {"value": "ab"}
    assert "\x00" not in call.response_text
