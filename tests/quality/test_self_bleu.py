from __future__ import annotations

import math

import pytest
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from synloom.errors import SynloomError
from synloom.quality.metrics.self_bleu import self_bleu, self_bleu_per_sample
from synloom.quality.tokens import tokenize

WEIGHTS = [tuple([1.0 / k] * k) for k in range(1, 6)]


def _nltk_per_sample(texts):
    toks = [tokenize(t) for t in texts]
    smooth = SmoothingFunction().method1
    out = []
    for i, hyp in enumerate(toks):
        scores = sentence_bleu(toks[:i] + toks[i + 1 :], hyp, WEIGHTS, smoothing_function=smooth)
        out.append(scores if isinstance(scores, list) else [scores] * len(WEIGHTS))
    return out


def _edge_case_corpus(sst2_test, sst2_train_phrases):
    sentences = [r["text"] for r in sst2_test[:220]]
    # 1-3 token phrases: hypotheses shorter than the n-gram order, brevity penalty, no matches
    short = [r["text"] for r in sst2_train_phrases if len(tokenize(r["text"])) <= 3][:40]
    # exact duplicates (the max over "all others" must still see the twin), a sentence with a
    # repeated n-gram, and texts without tokens or with punctuation only
    dups = sentences[:6]
    repeated = ["so bad , so bad , so bad it 's good ."]
    return sentences + short + dups + repeated + ["", "!!!", "..."]


@pytest.mark.slow
def test_matches_nltk_sentence_bleu_exactly(sst2_test, sst2_train_phrases):
    texts = _edge_case_corpus(sst2_test, sst2_train_phrases)
    ours = self_bleu_per_sample(texts)
    expected = _nltk_per_sample(texts)
    worst = max(
        abs(a - b)
        for row, ref in zip(ours, expected, strict=True)
        for a, b in zip(row, ref, strict=True)
    )
    assert worst < 1e-12
    means = self_bleu(texts)
    for k in range(1, 6):
        assert means[f"self_bleu_{k}"] == pytest.approx(
            math.fsum(r[k - 1] for r in expected) / len(texts), abs=1e-9
        )


def test_matches_nltk_on_trec_questions(trec_train):
    # many questions share openings ("what is the ..."), so clipping against the top-2 counts matters
    texts = [r["text"] for r in trec_train[:150]]
    ours = self_bleu_per_sample(texts, max_order=4)
    expected = _nltk_per_sample(texts)
    assert max(abs(ours[i, k] - expected[i][k]) for i in range(150) for k in range(4)) < 1e-12


def test_identical_corpus_scores_one_and_diverse_corpus_lower(sst2_test):
    same = [sst2_test[0]["text"]] * 5
    assert self_bleu(same)["self_bleu_4"] == pytest.approx(1.0)
    varied = self_bleu([r["text"] for r in sst2_test[:300]])
    assert varied["self_bleu_1"] > varied["self_bleu_2"] > varied["self_bleu_5"]


def test_needs_two_texts():
    with pytest.raises(SynloomError):
        self_bleu(["one text"])
