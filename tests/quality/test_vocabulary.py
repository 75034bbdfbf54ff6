from __future__ import annotations

from sklearn.feature_extraction.text import CountVectorizer

from synloom.quality.metrics.vocabulary import vocabulary_size
from synloom.quality.tokens import tokenize


def test_matches_sklearn_vocabulary(rt_train):
    texts = [r["text"] for r in rt_train[:2000]]
    vec = CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None).fit(texts)
    assert vocabulary_size(texts) == len(vec.vocabulary_)
    words = [t for t in vec.vocabulary_ if any(ch.isalnum() for ch in t)]
    assert vocabulary_size(texts, words_only=True) == len(words)


def test_case_folds(sst2_test):
    texts = [r["text"] for r in sst2_test[:200]]
    assert vocabulary_size(texts) == vocabulary_size([t.upper() for t in texts])
