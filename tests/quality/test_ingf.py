from __future__ import annotations

import pytest

from synloom.errors import SynloomError
from synloom.quality.metrics.distinct_n import distinct_n
from synloom.quality.metrics.ingf import ingf


@pytest.mark.parametrize("n", [1, 2, 3])
def test_occurrence_ingf_is_inverse_distinct_n(sst2_test, n):
    texts = [r["text"] for r in sst2_test[:500]]
    assert ingf(texts, n) == pytest.approx(1 / distinct_n(texts, n), rel=1e-12)


def test_sample_ingf_scales_with_copies(trec_train):
    texts = [r["text"] for r in trec_train[:400]]
    once = ingf(texts, 2, count="samples")
    assert ingf(texts * 3, 2, count="samples") == pytest.approx(3 * once, rel=1e-12)
    # within-sample repeats count once, so it never exceeds the occurrence version
    assert 1.0 <= once <= ingf(texts, 2)


def test_rejects_unknown_count():
    with pytest.raises(SynloomError):
        ingf(["a b"], count="tokens")  # type: ignore[arg-type]
