"""The formula guard: what it quotes, what it leaves alone, and that the import undoes it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.formula_guard import (
    FORMULA_STARTS,
    LEADING_BLANKS,
    looks_like_number,
    make_inert,
    strip_inert,
)


@pytest.mark.parametrize(
    "text",
    [
        "=SUM(A1)", "+1+1", "-x", "@x", "\t制表", "\r回车", "'q", "-",
        # Full-width signs, and blanks before a sign (issue 15, item 16).
        "＝1+1", "＋1", "－1", "＠SUM(A1)", " =1+1", "  =1+1", "\u00a0=1+1", "\u3000=1+1",
        "\u200b=1+1", "\u200c=1", "\u200d=1", "\u2060=1", "\ufeff=1", "\n=1", " ＝1", " -3.5",
        " +1", " @x",
    ],
)
def test_cells_a_spreadsheet_could_run_are_quoted(text):
    assert make_inert(text) == "'" + text
    assert strip_inert(make_inert(text)) == text


@pytest.mark.parametrize(
    "text",
    ["", "普通文字", "-3.50", "+5.", "-.5", "0", "a=b", " 前空格", "\u00a0文字", "\u200b文字", "１２", "％"],
)
def test_other_cells_are_left_alone(text):
    assert make_inert(text) == text


def test_numbers_are_plain_ascii_decimals():
    assert looks_like_number("-3.50") and looks_like_number(".5") and looks_like_number("5.")
    for text in ("", ".", "-", "1e3", "-１２", "1.2.3", " 1", "1 ", "+-1"):
        assert not looks_like_number(text), text


@given(st.text(alphabet=st.sampled_from(FORMULA_STARTS + LEADING_BLANKS + "'a1.中")), st.text())
def test_the_import_reads_back_what_was_exported(head, tail):
    text = head + tail
    assert strip_inert(make_inert(text)) == text
    # Text starting with an apostrophe is always quoted, so one strip is exactly right.
    if text.startswith("'"):
        assert make_inert(text) == "'" + text
    assert make_inert(text) in (text, "'" + text)
