"""Text helpers: NUL characters never reach the database (PostgreSQL refuses them), and
whole numbers from query strings are read without a 500."""

from __future__ import annotations

import pytest

from extractor.llm import records
from extractor.llm.models import LLMCall
from extractor.text import MAX_BIGINT, whole_number, without_nul


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 007 ", 7), ("0", 0), ("000", 0), (str(MAX_BIGINT), MAX_BIGINT),
     (str(MAX_BIGINT + 1), None), ("9" * 5000, None), ("0" * 30 + "5", 5),
     ("²", None), ("-1", None), ("1.0", None), ("", None), (None, None)],
)  # fmt: skip
def test_whole_number_reads_ids_and_refuses_the_rest_without_raising(raw, expected):
    assert whole_number(raw) == expected
