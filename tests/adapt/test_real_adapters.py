"""Adapters trained for real: the embedded SmolLM2-135M on 8 real SST-2 training sentences per
label. Each method lowers the loss of held-out real SST-2 test sentences under their label's
prompt below the base model's, and generation through each adapter runs, records the adapter in
the manifest and ends its samples. Floors were measured (values in comments), set with margin.

In the `heavy` lane (minutes on 2 cores), which `.ci/run` runs after the default suite."""

from __future__ import annotations

import random
import sqlite3

import pytest

from synloom.adapt.heldout import heldout_loss
from synloom.adapt.run import adapt
from synloom.adapt.settings import AdaptSettings
from synloom.spec import parse_spec
from tests.conftest import read_jsonl

pytestmark = [pytest.mark.slow, pytest.mark.heavy]

PROMPT = 'The movie review in {verbalizer} sentiment is: "'


def short(rows: list[dict], label: str, n: int, rng: random.Random) -> list[dict]:
    pool = [r for r in rows if r["label"] == label and 4 <= len(r["text"].split()) <= 25]
    return rng.sample(pool, n)


@pytest.fixture(scope="module")
def data(datasets_dir):
    rng = random.Random(0)
    train = read_jsonl(datasets_dir / "sst2" / "train_sentences.jsonl")
    test = read_jsonl(datasets_dir / "sst2" / "test.jsonl")
    seeds = short(train, "positive", 8, rng) + short(train, "negative", 8, rng)
    held = short(test, "positive", 16, rng) + short(test, "negative", 16, rng)
    spec = parse_spec(
        {
            "name": "adapt-real",
            "task": {"description": "movie review sentiment"},
            "labels": [
                {"name": "positive", "verbalizers": ["positive"]},
                {"name": "negative", "verbalizers": ["negative"]},
            ],
            "recipe": {"type": "zerogen", "prompt": PROMPT, "min_words": 3},
            "seed_examples": [{"text": r["text"], "label": r["label"]} for r in seeds],
            "generation": {"samples_per_label": 24, "batch_size": 48, "max_new_tokens": 32},
            "backend": {"type": "local", "device": "cpu"},
            "seed": 5,
        }
    )
    return spec, [(r["text"], r["label"]) for r in held]


@pytest.fixture(scope="module")
def base_loss(data):
    spec, held = data
    return heldout_loss(spec, held)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """method -> adapter directory, each trained once for the module (6 epochs, 12 steps)."""
    spec, _ = data
    root = tmp_path_factory.mktemp("adapters")
    done: dict[str, str] = {}

    def get(method: str) -> str:
        if method not in done:
            settings = AdaptSettings(method=method, epochs=6, seed=0)
            result = adapt(spec, root / method, settings)
            assert result.meta["train"]["loss_after"] < result.meta["train"]["loss_before"]
            done[method] = str(root / method)
        return done[method]

    return get


METHODS = ["lora", "prefix", "prompt", "fewgen"]


# held-out loss per token, base model 4.99 (bf16 CPU); after 6 epochs: lora 4.85, prefix 4.71,
# prompt 4.70, fewgen 4.74 (measured 2026-11-30)
@pytest.mark.parametrize("method", METHODS)
def test_adapting_lowers_the_loss_of_heldout_real_examples(method, data, base_loss, trained):
    spec, held = data
    loss = heldout_loss(spec, held, trained(method))
    print(f"held-out loss: base {base_loss:.4f}, {method} {loss:.4f}")
    assert loss < base_loss - 0.05, (method, loss, base_loss)


def greedy_teacher_forced(model, tokenizer, prompt: str, steps: int) -> str:
    """The adapted model's own greedy continuation, one forward pass per token, unpadded."""
    import torch

    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    for _ in range(steps):
        with torch.no_grad():
            nxt = model(input_ids=ids).logits[0, -1].argmax()
        ids = torch.cat([ids, nxt.view(1, 1)], 1)
    return tokenizer.decode(ids[0, -steps:])


GREEDY_PROMPTS = [
    PROMPT.format(verbalizer="positive"),
    PROMPT.format(verbalizer="negative"),
    "A longer prompt, so the others are padded: " + PROMPT.format(verbalizer="positive"),
]
GREEDY_LABELS = ("positive", "negative", "positive")


def greedy_params():
    from synloom.backends.base import GenerationParams

    return GenerationParams(max_new_tokens=6, temperature=0.0, labels=GREEDY_LABELS)


@pytest.fixture(scope="module")
def base_greedy() -> list[str]:
    from synloom.backends.local import LocalBackend

    base = LocalBackend(device="cpu", dtype="float32")
    try:
        return [c.raw_text for c in base.generate(GREEDY_PROMPTS, greedy_params(), [0, 0, 0])]
    finally:
        base.close()


# peft's own generate ignored a prefix (its greedy output was the base model's) and garbled prompt
# tuning after a few tokens under transformers 5 (backends/adapter.py): the backend's batched,
# left-padded generation must give each prompt the adapted model's own greedy continuation.
# Then a sampled run through the adapter: the manifest records it, and its outputs end at the
# closing quote or end of sequence (float32): lora 0.682, prefix 0.800, prompt 0.786, fewgen
# 0.700 (measured 2026-11-30); peft's prompt-tuning generate ended 0.375 of 64 on SST-2.
@pytest.mark.parametrize("method", METHODS)
def test_generation_runs_the_adapter_it_was_trained_with(
    method, data, trained, base_greedy, tmp_path
):
    from synloom.backends.local import LocalBackend
    from synloom.generate import run_generation
    from synloom.spec.io import spec_to_dict
    from synloom.store import RunStore

    spec, _ = data
    backend = LocalBackend(adapter=trained(method), device="cpu", dtype="float32")
    try:
        got = [c.raw_text for c in backend.generate(GREEDY_PROMPTS, greedy_params(), [0, 0, 0])]
        want = []
        for prompt, label in zip(GREEDY_PROMPTS, GREEDY_LABELS, strict=True):
            part = backend.adapter.groups([label], 1)[0][0]
            with backend.adapter.active(part):
                want.append(
                    greedy_teacher_forced(backend.adapter.adapted, backend.tokenizer, prompt, 6)
                )
        assert got == want
        assert got != base_greedy  # the adapter changes what is written

        with_adapter = spec_to_dict(spec)
        with_adapter["backend"] |= {"adapter": trained(method), "dtype": "float32"}
        with_adapter["generation"] |= {"samples_per_label": 8, "batch_size": 24}
        run_generation(parse_spec(with_adapter), tmp_path / "run", backend=backend)
    finally:
        backend.close()
    with RunStore(tmp_path / "run") as store:
        manifest = store.manifest()
    con = sqlite3.connect(tmp_path / "run" / "run.sqlite")
    try:
        reasons = [r for (r,) in con.execute("SELECT finish_reason FROM outputs")]
    finally:
        con.close()
    assert manifest["loaded_backends"][-1]["adapter"]["method"] == method
    ended = sum(r == "stop" for r in reasons) / len(reasons)
    print(f"{method}: {ended:.3f} of {len(reasons)} outputs ended")
    assert ended >= 0.5, (method, ended)
