from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from sentence_transformers import util

from synloom.errors import SynloomError
from synloom.quality.metrics.aps import aps

pytestmark = pytest.mark.slow  # embeds real texts with MiniLM


def _mean_offdiag(sim: np.ndarray) -> float:
    n = sim.shape[0]
    return float((sim.sum() - np.trace(sim)) / (n * (n - 1)))


@pytest.mark.parametrize("name", ["sst2_test", "trec"])
def test_matches_pairwise_cos_sim(embedded_sets, name):
    data = embedded_sets[name]
    emb, labels = data["emb"], np.array(data["labels"])
    result = aps(emb, list(labels))
    names = sorted(set(labels))
    per_label = {}
    for lab in names:
        x = torch.from_numpy(emb[labels == lab])
        if len(x) >= 2:
            per_label[lab] = _mean_offdiag(util.cos_sim(x, x).numpy().astype(np.float64))
    per_pair = {
        f"{a}|{b}": float(
            util.cos_sim(torch.from_numpy(emb[labels == a]), torch.from_numpy(emb[labels == b]))
            .numpy()
            .mean()
        )
        for a, b in itertools.combinations(names, 2)
    }
    for lab, value in per_label.items():
        assert result.per_label[lab] == pytest.approx(value, abs=1e-5)
    for key, value in per_pair.items():
        assert result.per_label_pair[key] == pytest.approx(value, abs=1e-5)
    assert result.intra == pytest.approx(np.mean(list(per_label.values())), abs=1e-5)
    assert result.inter == pytest.approx(np.mean(list(per_pair.values())), abs=1e-5)
    all_x = torch.from_numpy(emb)
    assert result.overall == pytest.approx(
        _mean_offdiag(util.cos_sim(all_x, all_x).numpy()), abs=1e-5
    )


def test_topic_classes_are_tighter_than_across(embedded_sets):
    # TREC classes are question types: same-type questions sit closer than cross-type ones
    data = embedded_sets["trec"]
    result = aps(data["emb"], data["labels"])
    assert result.intra > result.inter


def test_single_label_has_no_inter(embedded_sets):
    data = embedded_sets["sst2_test"]
    result = aps(data["emb"][:50], ["positive"] * 50)
    assert result.inter is None and result.intra == pytest.approx(result.overall)
    with pytest.raises(SynloomError):
        aps(data["emb"][:5], ["positive"] * 4)
