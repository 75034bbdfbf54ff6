"""`consistency`: LR + kNN trained on real seed examples, on real SST-2 sentences.

Measured on the 300-sentence `flipped_pool` (20% of labels flipped, 16 real seeds per label,
MiniLM): AUROC 0.661 (LR alone 0.680, kNN alone 0.632); a negative margin drops 63% of the
flipped and 41% of the clean samples. 32 seeds make a weak classifier of SST-2 (the LR is
right on 60% of the pool's true labels), which bounds what this filter can see; on TREC-6
(20% flipped, 16 seeds per label) the same defaults gave AUROC 0.892.
"""

from __future__ import annotations

import numpy as np
import pytest

from synloom.curate.consistency import METHOD
from synloom.curate.data import CurationData
from synloom.curate.registry import load_method
from synloom.errors import SynloomError
from synloom.spec import load_spec
from synloom.train.data import LabeledData
from tests.conftest import ROOT
from tests.curate.conftest import auroc


def test_consistency_separates_flipped_from_clean_labels(flipped_pool):
    data, flipped = flipped_pool.data, flipped_pool.flipped
    method = load_method("consistency")
    options = method.options()
    scored = method.score(data, options)
    assert scored.scores.shape == (len(data),)
    assert np.all((scored.scores >= -1) & (scored.scores <= 1))
    assert scored.summary["k"] == 5  # min(5, 16 seeds per label)
    assert auroc(scored.scores, flipped) >= 0.60  # measured 0.661
    dropped = scored.scores < method.threshold(options)
    assert dropped[flipped].mean() >= dropped[~flipped].mean() + 0.1  # measured 0.63 vs 0.41


def test_consistency_scores_each_sample_on_its_own(flipped_pool):
    """Deterministic, and a sample's score does not depend on the others (`per_sample`)."""
    data = flipped_pool.data
    options = METHOD.options(k=3)
    full = METHOD.score(data, options).scores
    assert np.array_equal(full, METHOD.score(data, options).scores)
    part = [7, 3, 250, 42]
    assert np.array_equal(METHOD.score(data.subset(part), options).scores, full[part])


def test_consistency_needs_seeds_of_every_label(flipped_pool):
    data = flipped_pool.data
    no_seeds = CurationData.build(data.spec, data.ids[:4], data.labels[:4], data.texts[:4])
    with pytest.raises(SynloomError, match="needs real seed examples of every label"):
        METHOD.score(no_seeds, METHOD.options())
    seeds = data.seed_data
    one_label = seeds.subset(i for i, lab in enumerate(seeds.labels) if lab == "positive")
    partial = CurationData.build(
        data.spec, data.ids[:4], data.labels[:4], data.texts[:4], seed_data=one_label
    )
    with pytest.raises(SynloomError, match="none of label negative"):
        METHOD.score(partial, METHOD.options())


def test_consistency_on_pairs_embeds_seeds_as_the_samples_are():
    """A pair task: seeds and samples both reach the embedder as "first [SEP] second"."""
    from synloom.embeddings import embed_texts

    spec = load_spec(ROOT / "examples" / "rte.yaml")
    embedded: list[str] = []

    def embed(texts):
        embedded.extend(texts)
        return embed_texts(texts)

    premise = "The company hired three hundred new workers in Ohio last year."
    seeds = LabeledData(
        texts=(premise, premise, "A storm closed every school in the city on Monday."),
        labels=("entailment", "not_entailment", "entailment"),
        texts_b=(
            "The company hired workers.",
            "The company closed its Ohio plant.",
            "Schools were closed.",
        ),
    )
    data = CurationData.build(
        spec,
        ["p0", "p1"],
        ["entailment", "entailment"],
        ["New workers were hired in Ohio.", "Nobody was hired in Ohio."],
        texts_a=[premise, premise],
        seed_data=seeds,
        embed=embed,
    )
    scored = METHOD.score(data, METHOD.options())
    assert np.all(np.isfinite(scored.scores)) and scored.summary["k"] == 1
    assert f"{premise} [SEP] The company closed its Ohio plant." in embedded
    assert f"{premise} [SEP] Nobody was hired in Ohio." in embedded
    single = LabeledData(seeds.texts, seeds.labels)
    with pytest.raises(SynloomError, match="seed examples are single texts"):
        METHOD.score(
            CurationData.build(
                spec, ["p0"], ["entailment"], ["x"], texts_a=[premise], seed_data=single
            ),
            METHOD.options(),
        )
