"""The local backend's sampler (`synloom.backends.nucleus`) draws from exactly the set and the
distribution transformers' temperature / top-k / top-p warpers leave."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from transformers.generation.logits_process import (  # noqa: E402
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from synloom.backends import nucleus  # noqa: E402
from synloom.backends.base import GenerationParams  # noqa: E402
from synloom.backends.nucleus import NucleusSampler  # noqa: E402


def warped(logits, temperature, top_p, top_k):
    """transformers' distribution: its warpers in its order, then softmax."""
    x = TemperatureLogitsWarper(temperature)(None, logits.clone())
    if top_k:
        x = TopKLogitsWarper(top_k)(None, x)
    if top_p < 1.0:
        x = TopPLogitsWarper(top_p)(None, x)
    return x.softmax(-1)


def drawn(sampler, logits, draws):
    counts = torch.zeros_like(logits)
    for _ in range(draws):
        out = sampler(None, logits)
        assert torch.isfinite(out).sum(-1).eq(1).all()  # exactly one token left per row
        counts.scatter_add_(-1, out.argmax(-1, keepdim=True), torch.ones(len(logits), 1))
    return counts / draws


@pytest.mark.parametrize(
    ("temperature", "top_p", "top_k"),
    [(1.0, 0.9, 0), (0.7, 0.95, 0), (1.0, 1.0, 3), (1.3, 0.8, 5), (1.0, 0.5, 0)],
)
def test_the_frequencies_match_transformers_warpers_on_a_small_vocabulary(
    temperature, top_p, top_k
):
    torch.manual_seed(0)
    # no two logits of a row equal: at a tie on the k-th logit transformers keeps every tied
    # token, the sampler exactly k (both are top-k; ties decide nothing else)
    logits = torch.tensor(
        [[2.0, 1.5, 1.0, 0.5, 0.0, -1.0, -3.0], [0.1, 0.01, 0.3, -0.2, 0.05, 0.2, -0.01]]
    )
    want = warped(logits, temperature, top_p, top_k)
    got = drawn(NucleusSampler(temperature, top_p, top_k), logits, 6000)
    assert (got[want == 0] == 0).all()  # never a token the warpers remove
    assert (got - want).abs().max() < 0.025  # 6,000 draws: standard error <= 0.0065


@pytest.mark.parametrize("top_k", [0, 11])
def test_a_row_whose_nucleus_is_wider_than_the_candidates_still_gets_all_of_it(monkeypatch, top_k):
    # top_k 0: the draw over the whole vocabulary; 11: the top-k candidates, then a full sort
    # for the wide row
    monkeypatch.setattr(nucleus, "CANDIDATES", 4)
    torch.manual_seed(1)
    flat = torch.linspace(0.0, 0.1, 12)[None]  # nucleus of 0.9: 11 of 12, past the 4 candidates
    peaked = torch.tensor([[6.0, 5.0] + [0.0] * 10])  # nucleus within the candidates
    logits = torch.cat([flat, peaked])
    got = drawn(NucleusSampler(1.0, 0.9, top_k), logits, 4000)
    want = warped(logits, 1.0, 0.9, top_k)
    assert (got[0] > 0).sum() == (want[0] > 0).sum() >= 10
    assert (got[want == 0] == 0).all()
    assert (got - want).abs().max() < 0.03


def test_rows_refused_too_often_take_their_most_likely_token(monkeypatch):
    # with no redraw allowed, a row whose first draw falls outside the nucleus keeps the top token
    monkeypatch.setattr(nucleus, "DRAWS", 1)
    torch.manual_seed(3)
    logits = torch.tensor([[1.0, 0.9, 0.8, 0.7, 0.6]]).repeat(2000, 1)
    tokens = NucleusSampler(1.0, 0.3, 0).draw(logits)[:, 0]
    kept = warped(logits[:1], 1.0, 0.3, 0)[0] > 0  # the nucleus of 0.3: the first two tokens
    assert kept.tolist() == [True, True, False, False, False]
    assert tokens.lt(2).all()
    # token 0: its own chance 0.242 and the refused draws' 0.539; token 1 only its 0.219
    assert 0.75 < tokens.eq(0).float().mean() < 0.81


@pytest.fixture(scope="module")
def fp32():
    # float32, as bfloat16 logits tie often, and tied tokens at the nucleus' edge may go either way
    from synloom.backends.local import LocalBackend

    backend = LocalBackend(device="cpu", threads=2, dtype="float32")
    yield backend
    backend.close()


def test_the_kept_set_equals_the_warpers_on_real_model_logits(fp32):
    # the embedded model's next-token logits for a few-shot prompt and a flat, early one
    tok = fp32.tokenizer
    prompts = ['The movie review in positive sentiment is: "a warm , funny film ."\n' * 2, "A"]
    with torch.inference_mode():
        rows = [
            fp32.model(input_ids=torch.tensor([tok(p)["input_ids"]])).logits[0, -1].float()
            for p in prompts
        ]
    logits = torch.stack(rows)
    for top_p, top_k in [(0.9, 0), (0.95, 50)]:
        kept = warped(logits, 1.0, top_p, top_k) > 0
        sampler = NucleusSampler(1.0, top_p, top_k)
        seen = torch.zeros_like(kept)
        for _ in range(300):
            seen |= torch.isfinite(sampler(None, logits))
        assert not (seen & ~kept).any()  # every drawn token is one the warpers keep
        assert seen.sum() > 2  # and it does sample, not pick the top token


def test_sampled_generation_through_the_sampler_is_seeded(fp32):
    # (transformers' sampler, `sampler: transformers`, runs in tests/recipes/test_equivalence.py)
    assert fp32.config.sampler == "fast"
    prompts = ['The movie review in positive sentiment is: "', 'A question about a river: "']
    params = GenerationParams(max_new_tokens=8)
    first = [c.raw_text for c in fp32.generate(prompts, params, [11, 12])]
    again = [c.raw_text for c in fp32.generate(prompts, params, [11, 12])]
    other = [c.raw_text for c in fp32.generate(prompts, params, [99, 12])]
    assert first == again and first != other
