from __future__ import annotations

import math

import numpy as np
import pytest

from synloom.errors import SynloomError
from synloom.quality.metrics.perplexity import DEFAULT_PROMPT, perplexity, score_perplexity


def test_uniform_log_probs_give_vocabulary_size():
    # a model that is uniform over V tokens has perplexity exactly V
    v = 49152
    lps = [np.full(k, -math.log(v)) for k in (3, 10, 1)]
    result = perplexity(lps)
    assert result.mean == pytest.approx(v) and result.corpus == pytest.approx(v)
    assert (result.n_samples, result.n_tokens) == (3, 14)


def test_corpus_is_token_weighted_and_mean_is_per_sample():
    lps = [np.array([-1.0, -1.0, -1.0, -1.0]), np.array([-3.0])]
    result = perplexity(lps)
    assert result.corpus == pytest.approx(math.exp(7 / 5))
    assert result.mean == pytest.approx((math.e + math.exp(3)) / 2)
    assert result.median == pytest.approx((math.e + math.exp(3)) / 2)
    with pytest.raises(SynloomError):
        perplexity([np.array([])])


@pytest.mark.slow
def test_embedded_model_matches_direct_forward_pass(sst2_test, rt_train):
    import torch

    from synloom.backends.local import LocalBackend

    backend = LocalBackend(dtype="float32")
    texts = [r["text"] for r in sst2_test[:12]]
    result = score_perplexity(backend.score, texts, batch_size=6)
    tok, model = backend.tokenizer, backend.model
    nll_means, total, count = [], 0.0, 0
    for text in texts:
        p_ids = tok(DEFAULT_PROMPT)["input_ids"]
        c_ids = tok(text, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([p_ids + c_ids], device=model.device)
        with torch.inference_mode():
            logits = model(input_ids=ids).logits.float()
        lp = torch.log_softmax(logits[0, :-1], dim=-1).gather(-1, ids[0, 1:, None])[:, 0]
        nll = -lp[len(p_ids) - 1 :].double()
        nll_means.append(float(nll.mean()))
        total, count = total + float(nll.sum()), count + len(c_ids)
    assert result.mean == pytest.approx(np.mean(np.exp(nll_means)), rel=1e-4)
    assert result.corpus == pytest.approx(math.exp(total / count), rel=1e-4)
    # real English reviews are far more predictable than the same words shuffled
    rng = np.random.default_rng(0)
    shuffled = [" ".join(rng.permutation(t.split())) for t in texts]
    assert score_perplexity(backend.score, shuffled).mean > 2 * result.mean
