from __future__ import annotations

import numpy as np
import pytest

from synloom.quality.metrics.dcr import distance_to_closest_record

pytestmark = pytest.mark.slow


def test_copies_have_zero_distance(embedded_sets):
    reference = embedded_sets["sst2_test"]["emb"]
    holdout = embedded_sets["sst2_val"]["emb"]
    result = distance_to_closest_record(reference[:100], reference, holdout)
    assert result.median == pytest.approx(0.0, abs=1e-5)
    assert result.share_zero == 1.0
    assert result.ratio == pytest.approx(0.0, abs=1e-4)
    assert result.share_below_holdout_p05 == 1.0


def test_fresh_real_data_has_ratio_near_one(embedded_sets):
    # reference: SST-2 test; holdout: SST-2 validation; "synthetic": other SST-2-style sentences
    reference = embedded_sets["sst2_test"]["emb"]
    holdout = embedded_sets["sst2_val"]["emb"][:150]
    fresh = embedded_sets["sst2_val"]["emb"][150:]
    result = distance_to_closest_record(fresh, reference, holdout)
    assert 0.8 < result.ratio < 1.25
    # the holdout's own share below its 5th percentile is 5% by definition
    assert result.share_below_holdout_p05 < 0.15
    # unrelated questions are further from movie reviews than fresh reviews are
    far = distance_to_closest_record(embedded_sets["trec"]["emb"], reference, holdout)
    assert far.ratio > 1.3 and far.median > result.median
    d = (
        1
        - (fresh / np.linalg.norm(fresh, axis=1, keepdims=True))
        @ (reference / np.linalg.norm(reference, axis=1, keepdims=True)).T
    )
    assert result.median == pytest.approx(float(np.median(d.min(axis=1))), abs=1e-5)
