"""Property-based fuzzing of ZeroGen's output parser: any completion, finish reason, word bounds
and context give an accepted sample or a documented rejection reason, never an exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from synloom.prompts import parse_completion
from synloom.prompts.parse import REJECTION_REASONS

FUZZ = settings(max_examples=300, deadline=None, derandomize=True)
PIECES = st.sampled_from(
    ['"', "\n", "\r\n", ".", "!", "?", " ", "\t", "\u2028", "\x1b[2J", "word", "I'm sorry, but"]
)
TEXT = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=5))).map("".join))


@FUZZ
@given(
    text=TEXT,
    finish_reason=st.one_of(st.sampled_from(["stop", "length", "error", ""]), st.text(max_size=8)),
    min_words=st.integers(-3, 50),
    max_words=st.one_of(st.none(), st.integers(-3, 50)),
    context=st.one_of(st.none(), TEXT),
)
def test_parse_never_raises_and_names_a_reason(text, finish_reason, min_words, max_words, context):
    result = parse_completion(
        text, finish_reason, min_words=min_words, max_words=max_words, context=context
    )
    if result.ok:
        sample = result.text
        assert sample and sample == sample.strip() and "\n" not in sample and '"' not in sample
        n_words = len(sample.split())
        assert n_words >= min_words and (max_words is None or n_words <= max_words)
    else:
        assert result.text is None
        assert result.reason in REJECTION_REASONS
