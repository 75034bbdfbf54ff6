from __future__ import annotations

import pytest

from synloom.quality.metrics.distinct_n import distinct_n, distinct_ns
from synloom.quality.tokens import tokenize


@pytest.mark.filterwarnings("ignore:The parameter .token_pattern.")
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_matches_vendi_score_ngram_diversity(sst2_test, n):
    from vendi_score.text_utils import single_ngram_diversity

    texts = [r["text"] for r in sst2_test[:800]]
    expected = single_ngram_diversity(texts, n, tokenizer=tokenize)
    assert distinct_n(texts, n) == pytest.approx(expected, abs=1e-12)


def test_duplicating_the_corpus_halves_distinct_n(rt_train):
    texts = [r["text"] for r in rt_train[:500]]
    once, twice = distinct_ns(texts), distinct_ns(texts + texts)
    for key in ("distinct_1", "distinct_2", "distinct_3", "distinct_4"):
        assert twice[key] == pytest.approx(once[key] / 2, rel=1e-12)
    assert once["mean"] == pytest.approx(sum(once[f"distinct_{n}"] for n in range(1, 5)) / 4)
    assert 0 < once["distinct_1"] < once["distinct_4"] <= 1


def test_no_ngrams_gives_zero():
    assert distinct_n(["good"], 2) == 0.0
