from __future__ import annotations

import json

import pytest

from synloom.quality.metrics.distinct_n import distinct_ns
from synloom.quality.metrics.self_bleu import self_bleu
from synloom.quality.suite import score_dataset

pytestmark = pytest.mark.slow  # embeds ~600 real texts


def test_scores_real_data_and_explains_skips(sst2_test, sst2_train_sentences):
    rows = sst2_test[:250]
    seeds = [r["text"] for r in sst2_train_sentences[:20]]
    texts = [r["text"] for r in rows] + seeds[:5]  # five samples copy seed examples
    labels = [r["label"] for r in rows] + [r["label"] for r in sst2_train_sentences[:5]]
    reference = sst2_train_sentences[1000:1300]
    out = score_dataset(texts, labels, reference=reference, seed_texts=seeds)
    json.dumps(out)  # JSON-serialisable as stored
    m = out["metrics"]
    assert m["self_bleu"] == pytest.approx(self_bleu(texts))
    assert m["distinct_n"] == pytest.approx(distinct_ns(texts))
    assert m["leakage_seed"]["n_exact"] == 5
    assert {leak["index"] for leak in m["leakage_seed"]["leaks"]} >= set(range(250, 255))
    assert m["oracle_agreement"]["agreement"] > 0.6
    assert 0 < m["mauve"]["mauve"] <= 1 and m["mauve"]["n_samples"] == len(texts)
    assert m["label_distance"]["total_variation"] < 0.2
    assert 0.5 < m["dcr"]["ratio"] < 2.0
    assert set(out["skipped"]) == {"perplexity", "relabel_agreement", "attribute_diversity"}
    assert "backend" in out["skipped"]["perplexity"]
    assert all(t >= 0 for t in out["timings_s"].values())


def test_without_reference_skips_fidelity_metrics(sst2_test):
    texts = [r["text"] for r in sst2_test[:60]]
    out = score_dataset(texts, [r["label"] for r in sst2_test[:60]])
    for name in ("mauve", "frechet_distance", "oracle_agreement", "dcr", "leakage_seed"):
        assert name in out["skipped"] and name not in out["metrics"]
    assert out["metrics"]["vendi_embedding"]["score"] > 1
