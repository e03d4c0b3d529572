"""The spreadsheet rules for one cell: illegal characters, formulas, Excel's cap, lists."""

from __future__ import annotations

import pytest

from exports.cells import (
    EXCEL_MAX_CELL_CHARS,
    join_list,
    neutralise_formula,
    sanitise_text,
    split_list,
    strip_illegal,
    truncate_for_excel,
)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_neutralise_formula_prefixes_every_trigger(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["1+1", "a=b", "'=already", "", " =spaced", "€5"])
def test_neutralise_formula_leaves_other_text_alone(text):
    assert neutralise_formula(text) == text


def test_strip_illegal_keeps_tab_newline_and_carriage_return():
    assert strip_illegal("a\tb\nc\rd") == "a\tb\nc\rd"
    assert strip_illegal("".join(map(chr, range(32)))) == "\t\n\r"
    assert strip_illegal("x\ufffe\uffff\ud800y") == "xy"
    assert strip_illegal("\x7f\x85 é 😀") == "\x7f\x85 é 😀"  # legal in XML 1.0


def test_sanitise_removes_before_neutralising():
    assert sanitise_text("\x01+1") == "'+1"


def test_truncate_for_excel_is_exact_at_the_limit():
    exact = "x" * EXCEL_MAX_CELL_CHARS
    assert truncate_for_excel(exact) == exact
    assert len(truncate_for_excel(exact + "y")) == EXCEL_MAX_CELL_CHARS


@pytest.mark.parametrize(
    "items",
    [
        ["a", "b"],
        ["a;b", "c"],
        ["a; b", "c;"],
        ["back\\", "\\;", ";"],
        [" lead", "trail ", ""],
        ["one"],
    ],
)
def test_list_cells_round_trip(items):
    assert split_list(join_list(items)) == items


def test_list_items_of_other_types():
    assert join_list([1, 2.5, True, None]) == "1; 2.5; TRUE; "
