"""`random`: the control's seeded uniform scores, independent of which samples are present."""

from __future__ import annotations

import numpy as np
from scipy.stats import kstest

from synloom.curate.data import CurationData
from synloom.curate.random_control import METHOD
from synloom.curate.registry import load_method


def _pool(spec, n: int, seed: int = 0) -> CurationData:
    labels = [spec.label_names[i % 2] for i in range(n)]
    return CurationData.build(
        spec, [f"r{i:05d}" for i in range(n)], labels, [f"text {i}" for i in range(n)], seed=seed
    )


def test_random_scores_are_uniform_seeded_and_deterministic(sst2_spec):
    method = load_method("random")
    assert method.info.kind == "rank" and method.threshold(method.options()) is None
    data = _pool(sst2_spec, 2000)
    scores = method.score(data, method.options()).scores
    assert np.all((scores >= 0) & (scores < 1)) and len(set(scores.tolist())) == len(scores)
    assert kstest(scores, "uniform").pvalue > 1e-3
    assert np.array_equal(scores, method.score(data, method.options()).scores)
    other_seed = method.score(_pool(sst2_spec, 2000, seed=1), method.options()).scores
    assert abs(np.corrcoef(scores, other_seed)[0, 1]) < 0.1


def test_random_score_of_a_sample_does_not_depend_on_the_others(sst2_spec):
    data = _pool(sst2_spec, 500)
    full = METHOD.score(data, METHOD.options()).scores
    part = [499, 0, 250, 17]
    assert np.array_equal(METHOD.score(data.subset(part), METHOD.options()).scores, full[part])
    # the same ids in another pool (other texts, other order) get the same numbers
    shuffled = CurationData.build(
        sst2_spec, list(reversed(data.ids)), list(data.labels), ["x"] * 500, seed=0
    )
    assert np.array_equal(METHOD.score(shuffled, METHOD.options()).scores, full[::-1])
