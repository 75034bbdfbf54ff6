from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from synloom.quality.metrics.distribution import label_distance, length_distance
from synloom.quality.tokens import tokenize


def test_length_wasserstein_equals_mean_sorted_gap(sst2_test, rt_train):
    a = [r["text"] for r in sst2_test[:400]]
    b = [r["text"] for r in rt_train[::20][:400]]
    result = length_distance(a, b)
    la = np.sort([len(tokenize(t)) for t in a])
    lb = np.sort([len(tokenize(t)) for t in b])
    # equal-size samples: W1 is the mean absolute gap between sorted values
    assert result.wasserstein == pytest.approx(np.abs(la - lb).mean())
    assert result.mean_length == pytest.approx(la.mean())
    gaps = [abs((la <= x).mean() - (lb <= x).mean()) for x in np.union1d(la, lb)]
    assert result.ks == pytest.approx(max(gaps))
    same = length_distance(a, a)
    assert (same.wasserstein, same.ks) == (0.0, 0.0)


def test_label_distance_matches_scipy_js(trec_train, sst2_test):
    a = [r["label"] for r in trec_train[:1000]]
    b = [r["label"] for r in trec_train[3000:4000]] + ["extra"] * 50
    result = label_distance(a, b)
    names = sorted(set(a) | set(b))
    p = np.array([result.proportions[k] for k in names])
    q = np.array([result.reference_proportions[k] for k in names])
    assert result.jensen_shannon == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-12)
    assert result.total_variation == pytest.approx(0.5 * np.abs(p - q).sum())
    assert result.proportions["extra"] == 0.0
    sst = [r["label"] for r in sst2_test]
    assert label_distance(sst, sst).total_variation == 0.0
    # disjoint label sets: maximal distance
    disjoint = label_distance(sst, a)
    assert disjoint.total_variation == pytest.approx(1.0)
    assert disjoint.jensen_shannon == pytest.approx(1.0)
