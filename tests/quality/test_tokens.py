from __future__ import annotations

import re

from synloom.quality.tokens import ngrams, tokenize


def test_tokenize_is_lossless_on_sst2_apart_from_whitespace(sst2_test):
    for row in sst2_test:
        text = row["text"]
        assert "".join(tokenize(text)) == re.sub(r"\s+", "", text.lower())


def test_pretokenized_sst2_splits_like_whitespace(sst2_test):
    # SST-2 is already tokenized; sentences of plain words and single punctuation marks
    # split exactly on spaces ("..." would become three "." tokens, by design).
    pattern = re.compile(r"[a-z0-9]+( ([a-z0-9]+|[.,!?;:]))*")
    plain = [r["text"] for r in sst2_test if pattern.fullmatch(r["text"])]
    assert len(plain) > 200
    for text in plain:
        assert tokenize(text) == text.split()


def test_ngrams_count():
    tokens = tokenize("it 's a charming and often affecting journey .")
    assert len(ngrams(tokens, 3)) == len(tokens) - 2
    assert ngrams(tokens[:2], 3) == []
