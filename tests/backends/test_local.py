"""The local transformers backend on the real embedded SmolLM2-135M-Instruct."""

from __future__ import annotations

import numpy as np
import pytest

from synloom.backends.base import GenerationParams
from synloom.backends.local import LocalBackend

PROMPT = 'The movie review in positive sentiment is: "'
# `dtype: auto` is bf16 on a GPU or a CPU with AVX512-BF16/AMX: batched and single forward passes
# then round differently (up to 0.06 on mean token log-probs measured in tests/evaluate).
SCORE_ATOL = {"float32": 2e-3, "bfloat16": 0.15, "float16": 0.15}


@pytest.fixture(scope="module")
def backend():
    b = LocalBackend()
    yield b
    b.close()


@pytest.mark.slow  # loads the embedded model (~15 s)
def test_seeded_generation_is_reproducible_and_stops(backend):
    params = GenerationParams(max_new_tokens=24, stop=('"', "\n"))
    prompts = [PROMPT, 'Movie: "', PROMPT, "Question: "]
    first = backend.generate(prompts, params, [7, 0, 0, 0])
    again = backend.generate(prompts, params, [7, 0, 0, 0])
    other = backend.generate(prompts, params, [8, 0, 0, 0])
    assert [c.raw_text for c in first] == [c.raw_text for c in again]
    assert [c.raw_text for c in first] != [c.raw_text for c in other]
    for c in first:
        assert '"' not in c.text and "\n" not in c.text
        assert c.n_tokens <= 24
        if c.finish_reason == "stop" and c.raw_text != c.text:
            assert c.raw_text.startswith(c.text)
    # left padding: the same prompt alone or in a mixed batch gives the same greedy text
    greedy = GenerationParams(max_new_tokens=12, temperature=0.0, stop=())
    alone = backend.generate([PROMPT], greedy, [1])[0].raw_text
    mixed = backend.generate(["Once upon a time in a land far away,", PROMPT], greedy, [1])[
        1
    ].raw_text
    assert alone == mixed


@pytest.mark.slow  # loads the embedded model (~15 s)
def test_score_matches_a_direct_forward_pass(backend):
    import torch

    prompts = [PROMPT, "The capital of France is"]
    conts = ["A wonderful, moving film.", " Paris"]
    scores = backend.score(prompts, conts)
    for prompt, cont, got in zip(prompts, conts, scores):
        p_ids = backend.tokenizer(prompt)["input_ids"]
        c_ids = backend.tokenizer(cont, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([p_ids + c_ids], device=backend.model.device)
        with torch.inference_mode():
            logp = torch.log_softmax(backend.model(input_ids=ids).logits.float(), -1)[0]
        want = np.array([logp[len(p_ids) - 1 + i, t].item() for i, t in enumerate(c_ids)])
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=SCORE_ATOL[backend.dtype])
    # a fluent continuation is more likely than a scrambled one
    fluent, scrambled = backend.score([PROMPT] * 2, ["A wonderful film.", "film. wonderful A"])
    assert fluent.mean() > scrambled.mean()


@pytest.mark.slow  # loads the embedded model (~15 s)
def test_a_local_model_path_loads_like_the_embedded_default(backend):
    from synloom.backends.embedded import embedded_model_dir

    by_path = LocalBackend(model=str(embedded_model_dir()))
    greedy = GenerationParams(max_new_tokens=8, temperature=0.0, stop=())
    assert (
        by_path.generate([PROMPT], greedy, [0])[0].raw_text
        == backend.generate([PROMPT], greedy, [0])[0].raw_text
    )


def test_missing_model_is_a_clear_error(tmp_path):
    from synloom.errors import BackendError

    with pytest.raises(BackendError, match=r"model directory '.*no-such-model' does not exist"):
        LocalBackend(model=str(tmp_path / "no-such-model"))
