from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import normalize
from vendi_score import text_utils, vendi

from synloom.quality.metrics.vendi import vendi_embedding, vendi_from_kernel, vendi_ngram
from synloom.quality.tokens import tokenize

# vendi-score 0.0.3 touches the deprecated scipy.sparse.csr namespace
pytestmark = pytest.mark.filterwarnings("ignore:Please import `csr_matrix`:DeprecationWarning")


@pytest.mark.slow
def test_embedding_kernel_matches_vendi_score(embedded_sets):
    # float64 inputs: vendi-score computes in the input dtype, we always use float64
    small = embedded_sets["trec"]["emb"][:200].astype(np.float64)  # n < d: primal kernel
    assert vendi_embedding(small).score == pytest.approx(vendi.score_X(small), rel=1e-6)
    big = np.vstack([embedded_sets["sst2_test"]["emb"], embedded_sets["rt"]["emb"]])
    big = big.astype(np.float64)  # n > d: dual kernel
    assert vendi_embedding(big).score == pytest.approx(vendi.score_dual(big), rel=1e-6)
    assert vendi_embedding(big).score == pytest.approx(vendi.score_X(big), rel=1e-6)


def _reference_ngram_vendi(texts, ns=(1, 2, 3, 4)):
    # vendi_score.text_utils.ngram_vendi_score, with `.toarray()` for scipy's removed `.A`
    kernels = []
    for n in ns:
        x = normalize(text_utils.get_ngrams(texts, n=n, tokenizer=tokenize))
        kernels.append((x @ x.T).toarray())
    return vendi.score_K(np.stack(kernels, axis=0).mean(axis=0))


@pytest.mark.filterwarnings("ignore:The parameter .token_pattern.")
def test_ngram_kernel_matches_vendi_score(sst2_test, trec_train):
    for texts in ([r["text"] for r in sst2_test[:400]], [r["text"] for r in trec_train[:300]]):
        result = vendi_ngram(texts)
        assert result.n_samples == len(texts)
        assert result.score == pytest.approx(_reference_ngram_vendi(texts), rel=1e-9)


def test_identical_samples_score_one_and_subsampling_is_reported(sst2_test):
    assert vendi_ngram([sst2_test[0]["text"]] * 30).score == pytest.approx(1.0)
    texts = [r["text"] for r in sst2_test[:500]]
    sub = vendi_ngram(texts, max_samples=200, seed=3)
    assert (sub.n_samples, sub.n_total) == (200, 500)
    assert sub.score == vendi_ngram(texts, max_samples=200, seed=3).score
    assert 1.0 < sub.score <= 200


def test_from_kernel_on_block_kernel():
    # k identical groups of m samples -> exactly k effective samples
    kernel = np.kron(np.eye(4), np.ones((5, 5)))
    assert vendi_from_kernel(kernel) == pytest.approx(4.0)
