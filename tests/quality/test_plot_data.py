from __future__ import annotations

import numpy as np
import pytest

from synloom.quality.plot_data import embedding_map, length_counts


def test_length_counts_per_label():
    counts = length_counts(["a b", "a b c", "x y", "one"], ["p", "p", "n", "p"])
    assert counts == {"n": {"2": 1}, "p": {"1": 1, "2": 1, "3": 1}}


@pytest.mark.slow  # embeds ~1,700 real texts (shared session fixture)
def test_embedding_map_is_sklearn_pca_of_both_sides(embedded_sets):
    from sklearn.decomposition import PCA

    syn, ref = embedded_sets["sst2_val"], embedded_sets["rt"]
    out = embedding_map(
        syn["emb"], syn["labels"], syn["texts"], ref["emb"], ref["labels"], ref["texts"]
    )
    both = np.vstack([ref["emb"], syn["emb"]]).astype(np.float64)
    pca = PCA(n_components=2, svd_solver="full").fit(both)  # exact, not randomized
    expected = pca.transform(np.vstack([syn["emb"], ref["emb"]]).astype(np.float64))
    got = np.column_stack(
        [
            out["synthetic"]["x"] + out["reference"]["x"],
            out["synthetic"]["y"] + out["reference"]["y"],
        ]
    )
    for k in range(2):  # PCA axes are defined up to sign
        sign = np.sign(got[:, k] @ expected[:, k])
        assert np.abs(got[:, k] - sign * expected[:, k]).max() < 1e-3
    assert out["explained_variance"] == pytest.approx(pca.explained_variance_ratio_, abs=1e-4)
    assert out["synthetic"]["label"] == syn["labels"] and out["reference"]["n_total"] == 500


@pytest.mark.slow
def test_embedding_map_subsamples_each_side(embedded_sets):
    syn = embedded_sets["sst2_test"]
    out = embedding_map(syn["emb"], syn["labels"], syn["texts"], max_points=100, seed=3)
    assert len(out["synthetic"]["x"]) == 100 and out["synthetic"]["n_total"] == 600
    assert "reference" not in out
    assert set(out["synthetic"]["text"]) <= {
        t if len(t) <= 120 else t[:119] + "…" for t in syn["texts"]
    }
