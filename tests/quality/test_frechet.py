from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import special_ortho_group

from synloom.errors import SynloomError
from synloom.quality.metrics.frechet import frechet_distance, gaussian_frechet_distance


def test_hand_derived_diagonal_case():
    # diagonal covariances: FD = |mu1 - mu2|^2 + sum (sqrt(s1) - sqrt(s2))^2
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 1) ** 2
    assert gaussian_frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)


@pytest.mark.slow
def test_shift_and_rotation_on_real_embeddings(embedded_sets):
    a = embedded_sets["sst2_test"]["emb"].astype(np.float64)
    b = embedded_sets["rt"]["emb"].astype(np.float64)
    shift = np.full(a.shape[1], 0.01)
    # same covariance, means differ by `shift`: FD = |shift|^2
    assert frechet_distance(a, a + shift) == pytest.approx(shift @ shift, rel=1e-3, abs=1e-6)
    rot = special_ortho_group.rvs(a.shape[1], random_state=0)
    assert frechet_distance(a @ rot, b @ rot) == pytest.approx(frechet_distance(a, b), rel=1e-4)
    # equal sizes (FD is biased upwards at small n): SST-2 vs SST-2 << SST-2 vs TREC questions
    trec = embedded_sets["trec"]["emb"].astype(np.float64)
    assert frechet_distance(a[:300], a[300:600]) < 0.5 * frechet_distance(a[:300], trec[:300])


def test_rejects_mismatched_widths():
    with pytest.raises(SynloomError):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
