"""Prefix reuse in the local backend (`synloom.backends.shared_prefill`): identical prompts and
the prefix all prompts of a call share are prefilled once, and every row still sees exactly its
own prompt."""

from __future__ import annotations

import pytest

from synloom.backends.base import GenerationParams
from synloom.backends.shared_prefill import MIN_SAVING, plan_layout

DEMO_A = 'The movie review in positive sentiment is: "a warm , funny , engaging film ."\n'
DEMO_B = 'The movie review in positive sentiment is: "a gorgeous , witty , seductive movie ."\n'
QUERY = 'The movie review in positive sentiment is: "'
# few-shot prompts as the recipe renders them: a shared start, repeats (a small seed pool), and
# prompts of different lengths
PROMPTS = [
    DEMO_A + DEMO_B + QUERY,
    DEMO_B + DEMO_A + QUERY,
    DEMO_A + DEMO_B + QUERY,
    DEMO_A + QUERY,
    DEMO_B + DEMO_B + DEMO_A + QUERY,
]


def test_the_layout_keeps_each_distinct_prompt_once_and_their_common_prefix():
    layout = plan_layout([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3, 4], [1, 2, 5, 6, 7]], n=2)
    assert layout.prefix == [1, 2]
    assert layout.rest == [[3, 4], [5], [5, 6, 7]]
    assert layout.rows == [0, 0, 1, 1, 0, 0, 2, 2]  # prompt i's n rows, in order
    assert layout.width == 2  # the longest remainder without its last token


def test_the_prefix_leaves_every_prompt_a_last_token_to_run():
    layout = plan_layout([[5, 6, 7], [5, 6, 7, 8]], n=1)
    assert layout.prefix == [5, 6]  # not [5, 6, 7]: the first prompt needs a token left
    assert layout.rest == [[7], [7, 8]]
    same = plan_layout([[5, 6, 7]] * 4, n=1)
    assert same.prefix == [5, 6] and same.rest == [[7]] and same.rows == [0, 0, 0, 0]


def test_sharing_is_used_only_where_it_saves_a_quarter_of_the_prefill():
    distinct = plan_layout([[i, 9, 9, 9] for i in range(8)], n=1)  # nothing shared
    assert not distinct.pays(8 * 4)
    repeats = plan_layout([[1, 9, 9, 9]] * 8, n=1)
    assert repeats.shared_cost() == 3 + 0 + 8 and repeats.pays(8 * 4)
    assert MIN_SAVING == 0.25


@pytest.fixture(scope="module")
def fp32():
    # float32: a batch's rows then match each prompt alone to 1e-4 in logits (bfloat16 batching
    # moves logits by ~0.3 whatever the layout, left padding included)
    from synloom.backends.local import LocalBackend

    backend = LocalBackend(device="cpu", threads=2, dtype="float32")
    yield backend
    backend.close()


def test_every_row_of_the_shared_prefill_sees_only_its_own_prompt(fp32):
    import torch

    from synloom.backends.forward_compat import forward_names
    from synloom.backends.shared_prefill import shared_inputs

    tok = fp32.tokenizer
    ids = tok(PROMPTS)["input_ids"]
    layout = plan_layout(ids, n=2)
    assert len(layout.prefix) >= 5 and len(layout.rest) == 4  # shared start; a repeat merged
    inputs = shared_inputs(fp32.model, layout, tok.pad_token_id, "cpu")
    mask = inputs["attention_mask"]
    positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, -1:]
    with torch.inference_mode():
        out = fp32.model(
            input_ids=inputs["input_ids"][:, -1:],
            attention_mask=mask,
            position_ids=positions,
            **{forward_names(fp32.model)[0]: inputs["cache"]},
        )
        for row, prompt in enumerate(i for i in range(len(PROMPTS)) for _ in range(2)):
            alone = fp32.model(input_ids=torch.tensor([ids[prompt]])).logits[0, -1]
            # measured max |difference| 3.8e-5
            assert (out.logits[row, -1] - alone).abs().max().item() < 1e-3


def test_greedy_continuations_from_a_shared_call_equal_each_prompt_alone(fp32):
    greedy = GenerationParams(max_new_tokens=10, temperature=0.0)
    assert fp32._shared_layout(PROMPTS, greedy) is not None  # the call does share
    alone = [fp32.generate([p], greedy, [1])[0].raw_text for p in PROMPTS]
    together = fp32.generate(PROMPTS, greedy, [1] * len(PROMPTS))
    assert [c.raw_text for c in together] == alone


def test_a_call_with_nothing_to_share_prefills_as_before(fp32):
    params = GenerationParams(max_new_tokens=4)
    prompts = ["Hi there", 'A short, dull film: "', "Write a question about rivers:"]
    assert fp32._shared_layout(prompts, params) is None
    assert fp32._shared_layout(prompts[:1], params) is None  # one prompt: nothing to share


def test_share_prefix_false_prefills_every_prompt_on_its_own(fp32):
    from synloom.backends.local import LocalBackend

    layout = plan_layout([[1, 2, 3], [1, 2, 3]], n=2, share=False)
    assert layout.prefix == [] and layout.rest == [[1, 2, 3]] * 2 and layout.rows == [0, 0, 1, 1]
    alone = LocalBackend(device="cpu", threads=2, dtype="float32", share_prefix=False)
    try:
        same = [PROMPTS[0]] * 4
        assert fp32._shared_layout(same, GenerationParams()) is not None
        assert alone._shared_layout(same, GenerationParams()) is None
    finally:
        alone.close()
