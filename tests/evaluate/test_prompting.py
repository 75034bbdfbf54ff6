"""The zero-shot prompting baseline with the real embedded generator on real SST-2 sentences."""

from __future__ import annotations

import numpy as np
import pytest

from synloom.errors import SynloomError
from synloom.evaluate.prompting import (
    label_prompt_renderer,
    predict_zero_shot,
    zero_shot_scores,
)
from synloom.spec import parse_spec
from synloom.train.data import LabeledData

SST2_SPEC = {
    "task": {"kind": "text_classification", "description": "movie review sentiment"},
    "labels": [
        {"name": "negative", "verbalizers": ["negative"]},
        {"name": "positive", "verbalizers": ["positive"]},
    ],
    "recipe": {"type": "zerogen", "prompt": 'The movie review in {verbalizer} sentiment is: "'},
}
PAIR_SPEC = {
    "task": {"kind": "text_pair_classification"},
    "labels": [
        {"name": "entailment", "verbalizers": ["correct"]},
        {"name": "not_entailment", "verbalizers": ["wrong"]},
    ],
    "recipe": {
        "type": "zerogen",
        "contexts": ["unused here"],
        "prompt": '"{context}"\nBased on the above, the following sentence is definitely '
        '{verbalizer}: "',
    },
}


# Batched and one-by-one scores differ only by the dtype's rounding (padding changes the matmul
# shapes). Measured on 24 SST-2 sentences x 2 labels: fp32 at most 4e-6; bf16 (what `dtype: auto`
# picks on CPUs with AVX512-BF16/AMX) at most 0.062, mean 0.010. Misaligned scoring (an off-by-one
# token, the prompt scored as continuation) moves a mean token log-prob by more than 1.
SCORE_ATOL = {"float32": 1e-3, "bfloat16": 0.15}


@pytest.fixture(scope="module")
def backend():
    """fp32 whatever the CPU, so the exact comparisons below mean the same on every machine."""
    from synloom.backends.local import LocalBackend

    model = LocalBackend(dtype="float32")
    yield model
    model.close()


@pytest.fixture(scope="module")
def handful(datasets_dir) -> LabeledData:
    return LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(24))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_scores_match_one_by_one_scoring(backend, handful, dtype):
    from synloom.backends.local import LocalBackend

    model = backend if dtype == "float32" else LocalBackend(dtype=dtype)
    try:
        assert model.dtype == dtype
        spec = parse_spec(SST2_SPEC)
        texts = list(handful.texts[:5])
        render = label_prompt_renderer(spec)
        batched = zero_shot_scores(model, render, spec.label_names, texts, chunk_size=3)
        for i, text in enumerate(texts):
            for k, label in enumerate(spec.label_names):
                (single,) = model.score([render(label, None)], [text])
                want = float(np.mean(single))
                assert batched[i, k] == pytest.approx(want, abs=SCORE_ATOL[dtype])
    finally:
        if model is not backend:
            model.close()


@pytest.mark.slow
def test_handful_of_real_sst2_sentences(backend, handful):
    spec = parse_spec(SST2_SPEC)
    result = predict_zero_shot(backend, spec, handful.texts)
    assert result.scores.shape == (24, 2)
    assert np.isfinite(result.scores).all() and (result.scores < 0).all()
    assert result.predictions == [spec.label_names[i] for i in result.scores.argmax(axis=1)]
    assert not result.calibrated and result.content_free_bias is None


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_accuracy_is_well_above_chance_on_real_sst2(backend, datasets_dir):
    """ZeroGen's prompting baseline must read sentiment: 200 SST-2 test sentences spread over the
    file (49% positive), fp32 accuracy measured 0.745 (bf16: 0.725); the floor keeps a margin."""
    data = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl")
    sample = data.subset(range(0, len(data.texts), len(data.texts) // 200)).subset(range(200))
    chance = max(sample.labels.count(lab) for lab in set(sample.labels)) / len(sample.labels)
    assert chance < 0.55
    result = predict_zero_shot(backend, parse_spec(SST2_SPEC), sample.texts)
    accuracy = np.mean([p == y for p, y in zip(result.predictions, sample.labels)])
    assert accuracy >= 0.62


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_calibration_removes_the_content_free_bias(backend, handful):
    spec = parse_spec(SST2_SPEC)
    plain = predict_zero_shot(backend, spec, handful.texts)
    calibrated = predict_zero_shot(backend, spec, handful.texts, calibrate=True)
    np.testing.assert_allclose(
        calibrated.scores, plain.scores - np.array(calibrated.content_free_bias), rtol=1e-9
    )
    # with a single content-free input, that input itself ends up exactly uncommitted
    neutral = predict_zero_shot(backend, spec, ["N/A"], calibrate=True, content_free=["N/A"])
    assert neutral.scores[0, 0] == pytest.approx(neutral.scores[0, 1], abs=1e-9)


@pytest.mark.slow
def test_pair_task_scores_the_second_text_after_the_first(backend, datasets_dir):
    spec = parse_spec(PAIR_SPEC)
    rows = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(4))
    first, second = list(rows.texts[:2]), list(rows.texts[2:4])
    result = predict_zero_shot(backend, spec, first, second)
    render = label_prompt_renderer(spec)
    assert first[0] in render("entailment", first[0])
    (lp,) = backend.score([render("not_entailment", first[1])], [second[1]])
    assert result.scores[1, 1] == pytest.approx(float(np.mean(lp)), abs=SCORE_ATOL["float32"])


def test_prompts_that_test_inputs_cannot_fill_are_refused():
    spec = parse_spec(
        SST2_SPEC
        | {
            "recipe": {
                "type": "zerogen",
                "contexts": ["Heat"],
                "prompt": 'The review in {verbalizer} sentiment for movie "{context}" is: "',
            }
        }
    )
    with pytest.raises(SynloomError, match=r"uses \{context\}"):
        predict_zero_shot(None, spec, ["a fine film ."])
    with pytest.raises(SynloomError, match="bad prompt"):
        predict_zero_shot(None, spec, ["x"], template="Review {nope}: ")
    with pytest.raises(SynloomError, match="pair task needs the second texts"):
        predict_zero_shot(None, parse_spec(PAIR_SPEC), ["a premise ."])


def test_template_override_replaces_the_recipe_prompt():
    spec = parse_spec(
        SST2_SPEC
        | {
            "recipe": {
                "type": "zerogen",
                "contexts": ["Heat"],
                "prompt": 'About "{context}" ({verbalizer}): "',
            }
        }
    )
    from synloom.evaluate.prompting import with_prompt

    new = with_prompt(spec, 'A {verbalizer} review: "')
    assert label_prompt_renderer(new)("positive", None) == 'A positive review: "'
