"""Self-debiasing decoding (Schick & Schütze, EMNLP 2021): the processor's formula on hand-made
logits, the counter pass against direct forward passes of the real embedded model, a real run
with and without it, and the spec refusing it for an HTTP backend."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers import LogitsProcessorList

from synloom.backends.base import GenerationParams
from synloom.backends.self_debias import (
    EPSILON,
    SelfDebiasProcessor,
    debias_scores,
    self_debias_processor,
)
from synloom.errors import BackendError, SpecError
from synloom.spec import parse_spec
from synloom.spec.fingerprint import data_fingerprint, fingerprint_hash

LABELS = [{"name": "positive"}, {"name": "negative"}]
PROMPT = 'The movie review in {} sentiment is: "'


def probs(logits: list[float]) -> np.ndarray:
    return torch.tensor(logits).softmax(-1).numpy().astype(np.float64)


def test_a_token_the_counter_prompt_favours_is_down_weighted_by_exactly_the_formula():
    own = [2.0, 1.0, 0.5, 0.0, -1.0]
    counter = [2.0, 1.0, 3.0, 0.0, -1.0]  # token 2 much likelier under the counter prompt
    decay = 5.0
    out = debias_scores(torch.tensor([own]), torch.tensor([[counter]]), decay)
    q = out.exp()[0].numpy().astype(np.float64)
    p, pc = probs(own), probs(counter)
    assert q.sum() == pytest.approx(1.0, abs=1e-6)
    delta = np.maximum(pc - p, 0)
    assert delta[2] > 0.3 and delta[0] == 0 and delta[4] == 0
    # tokens with delta 0 keep their odds against each other (renormalisation only) ...
    assert q[0] / q[4] == pytest.approx(p[0] / p[4], rel=1e-5)
    # ... and the favoured token's odds against them shrink by exactly exp(-λ·Δ)
    assert (q[2] / q[0]) / (p[2] / p[0]) == pytest.approx(math.exp(-decay * delta[2]), rel=1e-5)
    # tokens the counter prompt makes less likely are not rewarded either
    for t in (0, 1, 3, 4):
        factor = max(math.exp(-decay * delta[t]), EPSILON)
        assert (q[t] / q[4]) / (p[t] / p[4]) == pytest.approx(factor, rel=1e-5)


def test_the_factor_is_floored_at_epsilon_and_the_strongest_counter_prompt_counts():
    own = [[0.0, 0.0, 0.0, 0.0]]
    weak = [0.0, 1.0, 0.0, 0.0]
    strong = [0.0, 4.0, 0.0, 0.0]
    q = debias_scores(torch.tensor(own), torch.tensor([[weak, strong]]), decay=1e4).exp()[0]
    # Δ·λ is huge: token 1 keeps EPSILON of its probability, no less
    assert (q[1] / q[0]).item() == pytest.approx(EPSILON, rel=1e-5)
    # with a mild λ the maximum over the counter prompts decides Δ
    decay = 2.0
    both = debias_scores(torch.tensor(own), torch.tensor([[weak, strong]]), decay).exp()[0]
    alone = debias_scores(torch.tensor(own), torch.tensor([[strong]]), decay).exp()[0]
    assert torch.allclose(both, alone, atol=1e-7)
    delta = probs(strong)[1] - probs(own[0])[1]
    assert (both[1] / both[0]).item() == pytest.approx(math.exp(-decay * delta), rel=1e-5)


def test_the_processor_applies_the_formula_to_what_its_counter_source_gives():
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    counter = torch.tensor([[[3.0, 2.0, 1.0]], [[0.0, 0.0, 5.0]]])
    seen = []

    def source(input_ids):
        seen.append(input_ids.shape)
        return counter

    out = SelfDebiasProcessor(200.0, source)(torch.zeros((2, 7), dtype=torch.long), scores)
    assert seen == [(2, 7)]
    assert torch.allclose(out, debias_scores(scores, counter, 200.0))
    # identical distributions: nothing to debias, the row is its own log-softmax
    assert torch.allclose(out[1], scores[1].log_softmax(-1), atol=1e-6)
    assert not torch.allclose(out[0], scores[0].log_softmax(-1), atol=1e-3)
    # λ = 0 changes nothing either
    assert torch.allclose(
        SelfDebiasProcessor(0.0, source)(torch.zeros((2, 7)), scores), scores.log_softmax(-1)
    )


def spec_data(backend: dict, decay: float | None = 200.0, **generation) -> dict:
    recipe = {"type": "zerogen"} | ({"self_debias_decay": decay} if decay is not None else {})
    return {
        "labels": LABELS,
        "recipe": recipe,
        "generation": {"samples_per_label": 8, "batch_size": 16, "max_new_tokens": 16} | generation,
        "backend": backend,
        "seed": 1,
    }


def test_a_spec_asking_for_self_debiasing_from_an_openai_backend_is_a_one_line_error():
    with pytest.raises(SpecError) as exc:
        parse_spec(spec_data({"type": "openai", "base_url": "http://127.0.0.1:9/v1"}))
    message = str(exc.value)
    assert "\n" not in message
    assert "recipe.self_debias_decay" in message and "local backend" in message
    with pytest.raises(SpecError, match="self_debias_decay"):
        parse_spec(spec_data({"type": "local"}, decay=0.0))
    parse_spec(spec_data({"type": "local"}))  # the local backend may


def test_the_openai_backend_refuses_self_debiasing_params_at_generate_time():
    from synloom.backends.openai_compat import OpenAIBackend

    backend = OpenAIBackend("http://127.0.0.1:9/v1", "m", check_server=False)
    try:
        params = GenerationParams(self_debias_decay=200.0, counter_prompts=(("x",),))
        with pytest.raises(BackendError, match="local backend"):
            backend.generate(["a"], params, [1])
    finally:
        backend.close()


def test_unset_it_leaves_the_fingerprint_and_the_planned_requests_as_before(tmp_path):
    from synloom.generate.plan import plan_round, round_state
    from synloom.recipes import recipe_for
    from synloom.store import RunStore

    data = spec_data({"type": "local"}, decay=None)
    data["attributes"] = {"tone": ["calm", "angry"]}
    data["recipe"] |= {
        "prompt": 'A {tone} {verbalizer} review of "{context}": "',
        "label_prompts": {"negative": 'A {tone} pan of "{context}": "'},
        "contexts": ["Up", "Heat", "Jaws"],
    }
    plain = parse_spec(data)
    assert "self_debias_decay" not in data_fingerprint(plain)["recipe"]
    data["recipe"]["self_debias_decay"] = 200.0
    debiased = parse_spec(data)
    assert data_fingerprint(debiased)["recipe"]["self_debias_decay"] == 200.0
    assert fingerprint_hash(data_fingerprint(debiased)) != fingerprint_hash(data_fingerprint(plain))
    planned = {}
    for name, spec in (("plain", plain), ("debiased", debiased)):
        recipe = recipe_for(spec)
        stage = recipe.stages()[-1]
        with RunStore(tmp_path / name, create=True) as store:
            planned[name] = plan_round(recipe, round_state(spec, store, stage, 0, 100))
    for a, b in zip(planned["plain"], planned["debiased"], strict=True):
        assert (a.id, a.prompt, a.seed, a.context) == (b.id, b.prompt, b.seed, b.context)
        assert "counter_prompts" not in a.meta and "self_debias_decay" not in a.params
        assert b.params == a.params | {"self_debias_decay": 200.0}
        # the other label's prompt with the same context and attributes
        fill = {"tone": b.meta["attributes"]["tone"], "context": b.context}
        other = (
            'A {tone} pan of "{context}": "'
            if b.label == "positive"
            else 'A {tone} positive review of "{context}": "'
        )
        assert b.meta["counter_prompts"] == [other.format(**fill)]
        assert {k: v for k, v in b.meta.items() if k != "counter_prompts"} == a.meta


@pytest.fixture(scope="module")
def fp32_backend():
    from synloom.backends.local import LocalBackend

    b = LocalBackend(dtype="float32")  # exact comparisons need one dtype on every machine
    yield b
    b.close()


@pytest.mark.slow  # loads the embedded model
def test_greedy_debiased_decoding_matches_direct_forward_passes(fp32_backend):
    # Prompts of different lengths (left padding) and two counter prompts each (3 labels): every
    # token generated through the KV-cached counter pass is the argmax of the formula applied to
    # uncached forward passes of the own and counter prompts plus the tokens so far.
    b = fp32_backend
    tok, model = b.tokenizer, b.model
    labels = ["positive", "negative", "neutral"]
    prompts = [PROMPT.format("positive"), 'Film: "Up".\n' + PROMPT.format("negative")]
    counters = (
        (PROMPT.format("negative"), PROMPT.format("neutral")),
        ('Film: "Up".\n' + PROMPT.format(labels[0]), 'Film: "Up".\n' + PROMPT.format(labels[2])),
    )
    params = GenerationParams(self_debias_decay=200.0, counter_prompts=counters)
    tok.padding_side = "left"
    enc = tok(prompts, return_tensors="pt", padding=True)
    width = enc["input_ids"].shape[1]
    processor = self_debias_processor(model, tok, params, len(prompts), width)
    with torch.inference_mode():
        out = model.generate(
            **enc,
            max_new_tokens=6,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
            logits_processor=LogitsProcessorList([processor]),
        )
        plain = model.generate(
            **enc, max_new_tokens=6, do_sample=False, pad_token_id=tok.pad_token_id
        )
    assert not torch.equal(out, plain)  # λ = 200 changes what greedy decoding picks
    for i, (prompt, counter) in enumerate(zip(prompts, counters, strict=True)):
        generated = out[i, width:].tolist()
        p_ids = tok(prompt)["input_ids"]
        c_ids = [tok(c)["input_ids"] for c in counter]
        for t, token in enumerate(generated):
            with torch.inference_mode():
                own = model(torch.tensor([p_ids + generated[:t]])).logits[:, -1]
                cnt = torch.stack(
                    [model(torch.tensor([c + generated[:t]])).logits[0, -1] for c in c_ids]
                )
            q = debias_scores(own, cnt[None], 200.0)[0]
            assert q[token] >= q.max() - 1e-4, (i, t)
            if token in b._eos_ids:
                break


def margins(backend, spec, samples) -> tuple[float, float]:
    """Mean label margin (own minus other label's mean token log-prob under the zero-shot
    prompts) and relabel agreement of accepted samples."""
    from synloom.quality.label_scores import label_prompt_renderer, zero_shot_scores

    names = spec.label_names
    scores = zero_shot_scores(
        backend, label_prompt_renderer(spec), names, [s.text for s in samples]
    )
    own = np.array([names.index(s.label) for s in samples])
    rows = np.arange(len(own))
    return float((scores[rows, own] - scores[rows, 1 - own]).mean()), float(
        (scores.argmax(1) == own).mean()
    )


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow  # two small real runs with the embedded model (~30 s on 2 cores)
def test_a_real_run_with_self_debiasing_is_seeded_differs_and_fits_its_labels_better(tmp_path):
    from synloom.backends.local import LocalBackend
    from synloom.generate import run_generation
    from synloom.store import RunStore

    backend = LocalBackend()
    try:
        prompts = [PROMPT.format(x) for x in ("positive", "negative")] * 2
        counters = tuple((PROMPT.format(x),) for x in ("negative", "positive")) * 2
        params = GenerationParams(
            max_new_tokens=12, self_debias_decay=200.0, counter_prompts=counters
        )
        first = backend.generate(prompts, params, [5])
        assert [c.raw_text for c in first] == [
            c.raw_text for c in backend.generate(prompts, params, [5])
        ]

        results = {}
        for name, decay in (("plain", None), ("debiased", 200.0)):
            spec = parse_spec(
                spec_data({"type": "local", "model": "embedded"}, decay=decay, max_rounds=1)
            )
            run_generation(spec, tmp_path / name, backend=backend)  # one round, met or not
            with RunStore(tmp_path / name) as store:
                samples = store.accepted("sample")
            assert len(samples) >= 8
            results[name] = (samples, *margins(backend, spec, samples))
        plain, debiased = results["plain"], results["debiased"]
        assert [s.text for s in plain[0]] != [s.text for s in debiased[0]]
        # Measured (seed 1, bf16 CPU): margin 0.063 -> 0.150, agreement 0.80 -> 1.00; over seeds
        # 1-4 the margin rose by 0.04 to 0.09 and the agreement by 0.08 to 0.24.
        assert debiased[1] > plain[1] + 0.02
        assert debiased[2] >= plain[2]
    finally:
        backend.close()
