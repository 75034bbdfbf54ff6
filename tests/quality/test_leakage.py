from __future__ import annotations

import pytest

from synloom.errors import SynloomError
from synloom.quality.metrics.leakage import find_leaks
from synloom.quality.tokens import ngrams, tokenize


def _has_shared_ngram(text, reference_texts, n):
    grams = set(ngrams(tokenize(text), n))
    return any(grams & set(ngrams(tokenize(r), n)) for r in reference_texts)


def _corpus(sst2_train_sentences, sst2_test):
    reference = [r["text"] for r in sst2_train_sentences[:400]]
    long_refs = [t for t in reference if len(tokenize(t)) >= 12]
    # clean: real test sentences; keep those that share no 8-gram with the reference (brute force)
    clean = [r["text"] for r in sst2_test[:150]]
    clean = [t for t in clean if not _has_shared_ngram(t, reference, 8)]
    exact = [t.upper() + "  " for t in reference[:30]]  # case and spacing do not hide a copy
    # copies with the last 3 tokens replaced: an 8-gram survives, the text is not identical
    partial = [" ".join([*tokenize(t)[:-3], "zzz", "qqq", "xxx"]) for t in long_refs[:25]]
    return reference, clean, exact, partial


def test_counts_each_kind_of_copy(sst2_train_sentences, sst2_test):
    reference, clean, exact, partial = _corpus(sst2_train_sentences, sst2_test)
    texts = clean + exact + partial
    result = find_leaks(texts, reference, ngram=8)
    assert (result.n_exact, result.n_ngram, result.n_embedding) == (len(exact), len(partial), 0)
    assert result.leak_rate == pytest.approx((len(exact) + len(partial)) / len(texts))
    by_index = {leak.index: leak for leak in result.leaks}
    for k, text in enumerate(exact):
        leak = by_index[len(clean) + k]
        assert leak.kind == "exact" and leak.reference_text == reference[k] and leak.text == text
    for k in range(len(partial)):
        leak = by_index[len(clean) + len(exact) + k]
        assert leak.kind == "ngram" and 0 < leak.score < 1
        assert tokenize(leak.reference_text)[:8] == tokenize(partial[k])[:8]


@pytest.mark.slow
def test_embedding_neighbour_catches_paraphrase_level_copies(sst2_train_sentences):
    import numpy as np

    from synloom.embeddings import embed_texts

    reference = [r["text"] for r in sst2_train_sentences[:300]]
    short = [t for t in reference if 5 <= len(tokenize(t)) < 8][:15]  # too short for an 8-gram
    near = [t.replace(" .", " !") if " ." in t else t + " !" for t in short]
    unrelated = [r["text"] for r in sst2_train_sentences[3000:3040]]
    texts = near + unrelated
    emb, ref_emb = embed_texts(texts), embed_texts(reference)
    result = find_leaks(
        texts, reference, embeddings=emb, reference_embeddings=ref_emb, cosine_threshold=0.9
    )
    # brute force: every text whose best cosine to the reference reaches the threshold
    best = (emb @ ref_emb.T).max(axis=1)
    expected = {i for i in range(len(texts)) if best[i] >= 0.9}
    assert {leak.index for leak in result.leaks if leak.kind == "embedding"} == expected
    assert len(expected & set(range(len(near)))) >= 12  # "." -> "!" keeps cosine >= 0.9
    assert not expected & set(range(len(near), len(texts)))  # unrelated reviews stay clean
    assert all(np.isclose(leak.score, best[leak.index], atol=1e-5) for leak in result.leaks)
    assert result.cosine_threshold == 0.9


def test_needs_reference():
    with pytest.raises(SynloomError):
        find_leaks(["a"], [])
