"""Token-budget batches and counted truncation (synloom.batching)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synloom.batching import Truncation, token_budget_batches, truncate_with_tokenizer
from synloom.errors import SynloomError


@given(st.lists(st.integers(0, 3000), max_size=80), st.integers(1, 9000))
def test_every_index_once_and_no_batch_over_budget_unless_alone(lengths, budget):
    batches = token_budget_batches(lengths, budget)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    for batch in batches:
        padded = len(batch) * max(max(1, lengths[i]) for i in batch)
        assert padded <= budget or len(batch) == 1


def test_longest_first_and_over_budget_items_alone():
    lengths = [10, 500, 10, 20, 900, 10]
    assert token_budget_batches(lengths, 100) == [[4], [1], [3, 0, 2, 5]]
    # the ties keep their input order, so results put back by index come out in input order
    assert token_budget_batches([5, 5, 5, 5], 10) == [[0, 1], [2, 3]]
    assert token_budget_batches([], 10) == []
    with pytest.raises(SynloomError):
        token_budget_batches([1], 0)


def test_truncation_counts_only_texts_over_the_limit():
    cut = Truncation.from_lengths([3, 512, 513, 2000], 512)
    assert (cut.n_truncated, cut.n_total, cut.indices) == (2, 4, (2, 3))
    assert cut.note("test texts were") == "2 of 4 test texts were truncated to 512 tokens"
    assert Truncation.from_lengths([1, 2], 512).note("texts were") is None
    assert cut.to_json() == {"n_truncated": 2, "n_total": 4, "max_tokens": 512}


def test_truncate_with_a_real_tokenizer_keeps_an_exact_prefix():
    from transformers import AutoTokenizer

    from synloom.embeddings import resolve_embedder_path

    tokenizer = AutoTokenizer.from_pretrained(resolve_embedder_path())
    texts = ["a short one .", "one two three four five six seven eight nine ten eleven"]
    out, cut = truncate_with_tokenizer(tokenizer, texts, 5)
    assert out[0] == texts[0]
    assert out[1] == "one two three four five"
    assert (cut.n_truncated, cut.indices) == (1, (1,))
