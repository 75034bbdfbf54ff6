"""The local backend's own decoding loop (`synloom.backends.decode_loop`): rows that ended leave
the batch, waiting prompts join it, and every row still decodes exactly what `generate` would."""

from __future__ import annotations

import pytest

from synloom.backends import decode_loop
from synloom.backends.base import GenerationParams
from synloom.backends.decode_loop import _joining

DEMO = 'The movie review in positive sentiment is: "a warm , funny , engaging film ."\n'
QUERY = 'The movie review in positive sentiment is: "'
# prompts of very different lengths, so rows end at different steps and joining groups are
# narrower or wider than the running batch
PROMPTS = [
    DEMO * 3 + QUERY,
    QUERY,
    "Write one question about rivers:",
    DEMO + QUERY,
    "List three colours:\n1.",
    DEMO * 2 + QUERY,
    "Say it again",
]


def test_waiting_prompts_join_once_a_quarter_of_the_batch_is_free():
    assert _joining(0, 10, 1, 8, 0) == 8  # an empty batch fills up
    assert _joining(8, 10, 1, 8, 7) == 0  # one row free: wait for two (a quarter of 8)
    assert _joining(8, 10, 1, 8, 6) == 2
    assert _joining(9, 10, 1, 8, 7) == 1  # the last prompt joins as soon as it fits
    assert _joining(10, 10, 1, 8, 0) == 0  # nothing waits
    assert _joining(2, 5, 4, 8, 4) == 1  # whole prompts: n rows each
    assert _joining(2, 5, 4, 8, 5) == 0
    assert _joining(0, 3, 4, 2, 0) == 1  # a prompt wider than the batch still runs alone


@pytest.fixture(scope="module")
def backends():
    # float32: the loop's rows then match `generate`'s to ~1e-5 in logits, so greedy texts agree
    from synloom.backends.local import LocalBackend

    loop = LocalBackend(device="cpu", threads=2, dtype="float32", share_prefix=False)
    plain = LocalBackend(device="cpu", threads=2, dtype="float32", sampler="transformers")
    yield loop, plain
    loop.close()
    plain.close()


GREEDY = GenerationParams(max_new_tokens=12, temperature=0.0, stop=("\n",))


def _texts(completions):
    return [(c.raw_text, c.text, c.finish_reason) for c in completions]


def _same_tokens(loop, generate):
    """Token counts agree, except that `generate` pads a row after its stop string and the pad
    (the end-of-sequence token here) counted as one more token; the loop counts what was made."""
    for a, b in zip(loop, generate, strict=True):
        assert a.n_tokens == b.n_tokens - (a.finish_reason == "stop" and b.n_tokens > a.n_tokens)


def test_greedy_rows_equal_generate_and_the_batch_shrinks_as_rows_end(backends, monkeypatch):
    loop, plain = backends
    assert loop._loops(GREEDY, loop.tokenizer(PROMPTS, return_tensors="pt", padding=True))
    steps = []
    forward = loop.generator.forward

    def counted(*args, **kwargs):
        steps.append(kwargs["input_ids"].shape[0])
        return forward(*args, **kwargs)

    monkeypatch.setattr(loop.generator, "forward", counted)
    got = loop.generate(PROMPTS, GREEDY, [1] * len(PROMPTS))
    monkeypatch.undo()
    want = plain.generate(PROMPTS, GREEDY, [1] * len(PROMPTS))
    assert _texts(got) == _texts(want)
    _same_tokens(got, want)
    assert {c.finish_reason for c in got} == {"stop", "length"}  # some rows end early
    decode_steps = steps[1:]  # the first call is the prefill
    assert decode_steps[0] == len(PROMPTS) and decode_steps[-1] < len(PROMPTS)
    assert decode_steps == sorted(decode_steps, reverse=True)  # rows leave, none come back


def test_a_call_wider_than_decode_rows_refills_and_gives_the_same_greedy_texts(
    backends, monkeypatch
):
    loop, plain = backends
    # cut the unused cache columns at once, so the trimming runs in this short call too
    monkeypatch.setattr(decode_loop, "TRIM_COLUMNS", 1)
    narrow = loop.config
    loop.config = narrow.model_copy(update={"decode_rows": 3})
    try:
        got = loop.generate(PROMPTS, GREEDY, [1] * len(PROMPTS))
    finally:
        loop.config = narrow
    want = plain.generate(PROMPTS, GREEDY, [1] * len(PROMPTS))
    assert _texts(got) == _texts(want)
    _same_tokens(got, want)


def test_samples_per_prompt_with_refill_are_seeded_and_prompt_major(backends):
    loop, _ = backends
    params = GenerationParams(max_new_tokens=8, temperature=1.0, top_p=0.9, n=3)
    narrow = loop.config
    loop.config = narrow.model_copy(update={"decode_rows": 4, "share_prefix": True})
    try:
        first = loop.generate(PROMPTS[:4], params, [5] * 12)
        again = loop.generate(PROMPTS[:4], params, [5] * 12)
        other = loop.generate(PROMPTS[:4], params, [6] * 12)
    finally:
        loop.config = narrow
    assert len(first) == 12 and _texts(first) == _texts(again)
    assert _texts(first) != _texts(other)
    assert all(c.n_tokens <= 8 for c in first)
    # prompt i's samples are rows 3i..3i+2; the samples of an open prompt differ
    assert len({c.raw_text for c in first[6:9]}) > 1


def test_a_model_cache_the_loop_cannot_edit_falls_back_to_generate(backends, monkeypatch):
    loop, plain = backends
    monkeypatch.setattr(loop, "_loop_cache_ok", False)
    assert not loop._loops(GREEDY, loop.tokenizer(PROMPTS[:1], return_tensors="pt"))
    got = loop.generate(PROMPTS[:3], GREEDY, [1] * 3)
    assert _texts(got) == _texts(plain.generate(PROMPTS[:3], GREEDY, [1] * 3))
    # a one-token prompt leaves no token for the loop's first step: generate runs it
    monkeypatch.setattr(loop, "_loop_cache_ok", True)
    assert not loop._loops(GREEDY, loop.tokenizer(["Hi"], return_tensors="pt"))
