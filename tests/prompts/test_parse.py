from __future__ import annotations

import pytest

from synloom.prompts import parse_completion


@pytest.mark.parametrize(
    ("text", "finish", "expected", "reason"),
    [
        ("A moving, beautiful film", "stop", "A moving, beautiful film", None),
        ('A moving film." He said', "length", "A moving film.", None),
        ("A moving film\nNext review", "length", "A moving film", None),
        ("A moving film. Then it went on and on", "length", "A moving film.", None),
        ("A moving film and then it went on", "length", None, "unterminated"),
        ("Great", "stop", None, "too_short"),
        ("   ", "stop", None, "empty"),
        ("As an AI language model I cannot review", "stop", None, "refusal"),
    ],
)
def test_zerogen_cuts(text, finish, expected, reason):
    result = parse_completion(text, finish, min_words=2)
    assert result.text == expected
    assert result.reason == reason


def test_copy_of_context_is_rejected():
    result = parse_completion("The Big Lebowski", "stop", min_words=1, context="the big lebowski.")
    assert result.reason == "copies_context"


def test_max_words():
    assert (
        parse_completion("one two three four", "stop", min_words=1, max_words=3).reason
        == "too_long"
    )
