"""`likelihood` (SuperGen) and `margin` with the real embedded generator on real SST-2 sentences.

Measured on the 300-sentence `flipped_pool` (20% of labels flipped), SmolLM2-135M-Instruct, fp32
on 2 CPU cores: margin AUROC 0.772 (clean above flipped; 75% of flipped and 33% of clean
samples have a negative margin), ~22 s for the 300 x 1 cells margin adds after likelihood;
with content-free calibration AUROC 0.681. Likelihood AUROC 0.513: a text's likelihood under
its own label's prompt does not see which label it carries (a flipped sentence is as fluent
as a clean one), so its test checks what it does see: fluent text above the same words
scrambled (AUROC 0.996 on 40 sentences and their scrambled copies).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from synloom.curate.data import CurationData
from synloom.curate.likelihood import METHOD as LIKELIHOOD
from synloom.curate.margin import METHOD as MARGIN
from synloom.curate.registry import load_method
from synloom.errors import SynloomError
from synloom.spec import parse_spec
from tests.curate.conftest import auroc


class CountingBackend:
    """The real backend, counting the (prompt, text) pairs sent to `score`."""

    def __init__(self, backend):
        self.backend = backend
        self.name = backend.name
        self.scored = 0

    @property
    def model_name(self) -> str:
        return self.backend.model_name

    def generate(self, prompts, params, seeds):
        return self.backend.generate(prompts, params, seeds)

    def score(self, prompts, continuations):
        self.scored += len(prompts)
        return self.backend.score(prompts, continuations)

    def truncate_texts(self, texts, max_tokens):
        return self.backend.truncate_texts(texts, max_tokens)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def generator(sst2_spec):
    from synloom.backends import open_backend

    with open_backend(sst2_spec.backend) as backend:
        yield CountingBackend(backend)


def _with_generator(data: CurationData, backend) -> CurationData:
    """The same samples as a fresh pool (empty cache) scored by `backend`."""
    return CurationData.build(
        data.spec,
        data.ids,
        data.labels,
        data.texts,
        seed=data.seed,
        seed_data=data.seed_data,
        generator=lambda: backend,
    )


def test_methods_are_registered_with_their_kinds():
    assert load_method("likelihood") is LIKELIHOOD
    assert load_method("margin") is MARGIN
    assert (LIKELIHOOD.info.kind, MARGIN.info.kind) == ("rank", "filter")
    assert LIKELIHOOD.info.needs == MARGIN.info.needs == ("generator",)
    assert LIKELIHOOD.threshold(LIKELIHOOD.options()) is None
    assert MARGIN.threshold(MARGIN.options()) == 0.0
    assert MARGIN.threshold(MARGIN.options(threshold=-0.1)) == -0.1


def test_empty_texts_are_not_scored_and_bad_prompts_fail_before_the_model(sst2_spec):
    def no_model():
        raise AssertionError("the generator must not be opened")

    data = CurationData.build(sst2_spec, ["a", "b"], ["positive", "negative"], ["", "  "])
    data = _with_generator(data, None)
    data.shared.generator = no_model
    for method in (LIKELIHOOD, MARGIN):
        result = method.score(data, method.options())
        assert np.isnan(result.scores).all() and result.scores.shape == (2,)
    spec = parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "recipe": {"type": "zerogen", "contexts": ["Heat"], "prompt": 'On "{context}": "'},
        }
    )
    data = CurationData.build(spec, ["a"], ["positive"], ["a fine film ."], generator=no_model)
    with pytest.raises(SynloomError, match=r"uses \{context\}.*--set margin.prompt="):
        MARGIN.score(data, MARGIN.options())
    with pytest.raises(SynloomError, match="bad prompt"):
        LIKELIHOOD.score(data, LIKELIHOOD.options(prompt="A {nope} review: "))


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_margin_separates_flipped_labels_and_reuses_likelihood_cells(flipped_pool, generator):
    data = _with_generator(flipped_pool.data, generator)
    n, k = len(data), len(data.label_names)
    before = generator.scored
    likelihood = LIKELIHOOD.score(data, LIKELIHOOD.options())
    assert generator.scored - before == n  # only each sample's own label
    margin = MARGIN.score(data, MARGIN.options())
    assert generator.scored - before == n * k  # the other labels only, never a cell twice
    flipped = flipped_pool.flipped
    print(f"AUROC likelihood {auroc(likelihood.scores, flipped):.3f}")
    print(f"AUROC margin {auroc(margin.scores, flipped):.3f}")
    assert auroc(margin.scores, flipped) >= 0.70  # measured 0.772
    dropped = margin.scores < MARGIN.threshold(MARGIN.options())
    assert dropped[flipped].mean() > dropped[~flipped].mean() + 0.25  # measured 0.75 vs 0.33
    np.testing.assert_array_equal(margin.details["own_logprob"], likelihood.scores)
    assert np.isfinite(margin.scores).all() and likelihood.summary["truncated"] == 0

    again = MARGIN.score(data.subset(range(0, n, 7)), MARGIN.options())
    assert generator.scored - before == n * k  # a subset of a scored pool costs nothing
    np.testing.assert_array_equal(again.scores, margin.scores[::7])

    calibrated = MARGIN.score(data, MARGIN.options(calibrate=True))
    prior = calibrated.summary["content_free_log_prior"]
    assert set(prior) == set(data.label_names)
    shift = prior[data.label_names[1]] - prior[data.label_names[0]]
    expected = margin.scores + np.where(data.label_index == 0, shift, -shift)
    np.testing.assert_allclose(calibrated.scores, expected, atol=1e-9)


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_same_data_gives_the_same_scores(flipped_pool, generator):
    part = flipped_pool.data.subset(range(24))
    first = MARGIN.score(_with_generator(part, generator), MARGIN.options(batch_size=16))
    second = MARGIN.score(_with_generator(part, generator), MARGIN.options(batch_size=16))
    np.testing.assert_array_equal(first.scores, second.scores)
    np.testing.assert_array_equal(first.details["own_logprob"], second.details["own_logprob"])


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_likelihood_ranks_fluent_text_above_its_words_scrambled(flipped_pool, generator):
    data = flipped_pool.data.subset(range(40))
    rng = random.Random(7)
    scrambled = []
    for text in data.texts:
        words = text.split()
        rng.shuffle(words)
        scrambled.append(" ".join(words))
    mixed = CurationData.build(
        data.spec,
        [*data.ids, *(f"x{i}" for i in data.ids)],
        [*data.labels, *data.labels],
        [*data.texts, *scrambled],
        generator=lambda: generator,
    )
    scores = LIKELIHOOD.score(mixed, LIKELIHOOD.options()).scores
    is_scrambled = np.arange(len(mixed)) >= len(data)
    value = auroc(scores, is_scrambled)
    print(f"AUROC likelihood fluent vs scrambled {value:.3f}")
    assert value >= 0.85  # measured 0.996
