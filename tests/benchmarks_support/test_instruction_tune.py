"""The instruction-tuning benchmark's pieces without a model: the prompt and its loss mask (with
the real embedded tokenizer), cutting answers, reading pairs, and ROUGE-L."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from instruction_answers import cut, prompt_text
from instruction_lora import encode_pair, length_batches
from instruction_tune import load_pairs, rouge_l


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from synloom.backends.embedded import embedded_model_dir

    return AutoTokenizer.from_pretrained(embedded_model_dir(), local_files_only=True)


def test_prompt_leaves_out_an_empty_input():
    with_input = {"instruction": "Sort these.", "input": "b, a", "output": "a, b"}
    assert prompt_text(with_input) == "Instruction: Sort these.\nInput: b, a\nOutput:"
    assert prompt_text(with_input | {"input": " "}) == "Instruction: Sort these.\nOutput:"


def test_loss_is_on_the_output_and_eos_only(tokenizer):
    row = {"instruction": "Name a color.", "input": "", "output": "Blue is a color."}
    ids, labels = encode_pair(tokenizer, row, max_len=512)
    n_prompt = len(tokenizer(prompt_text(row), add_special_tokens=False)["input_ids"])
    assert labels[:n_prompt] == [-100] * n_prompt
    assert labels[n_prompt:] == ids[n_prompt:]
    assert tokenizer.decode(ids[:n_prompt]) == prompt_text(row)
    assert tokenizer.decode(labels[n_prompt:]) == " Blue is a color." + tokenizer.eos_token


def test_long_pairs_are_cut_and_too_long_prompts_skipped(tokenizer):
    row = {"instruction": "Repeat.", "input": "", "output": "word " * 100}
    n_prompt = len(tokenizer(prompt_text(row), add_special_tokens=False)["input_ids"])
    ids, labels = encode_pair(tokenizer, row, max_len=n_prompt + 10)
    assert len(ids) == len(labels) == n_prompt + 10
    assert tokenizer.eos_token_id not in labels  # the cut answer does not claim to end
    assert encode_pair(tokenizer, row, max_len=n_prompt + 3) is None


def test_answers_are_cut_at_stops_past_leading_blank_lines():
    assert cut("\n\n Paris.\n\nInstruction: next") == "Paris."
    assert cut(" a\nb\nInstruction: x") == "a\nb"


def test_length_batches_cover_every_pair_once():
    lengths = [random.Random(1).randint(5, 300) for _ in range(203)]
    batches = length_batches(lengths, 8, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(203))
    assert all(len(b) <= 8 for b in batches)


def test_load_pairs_reads_alpaca_rows_and_names_a_bad_line(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [
        {"instruction": "Add.", "input": "1 2", "output": "3"},
        {"instruction": "Hi.", "output": "Hello."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert load_pairs(path)[1] == {"instruction": "Hi.", "input": "", "output": "Hello."}
    path.write_text(json.dumps(rows[0]) + "\n" + json.dumps({"instruction": "x"}) + "\n")
    with pytest.raises(ValueError, match=":2:"):
        load_pairs(path)


def test_rouge_l_is_the_mean_lcs_f_measure():
    predictions = ["the cat sat on the mat", "a b c", "Same words here."]
    references = ["the cat is on the mat", "x y z", "same words here"]
    # LCS "the cat on the mat": P = R = 5/6; no overlap: 0; identical after rouge-score's
    # lower-casing and punctuation removal: 1
    assert rouge_l(predictions, references) == pytest.approx((5 / 6 + 0 + 1) / 3)
    with pytest.raises(ValueError):
        rouge_l(predictions, references[:2])


@pytest.mark.slow
@pytest.mark.heavy
def test_answer_loss_equals_the_models_own_loss(tokenizer):
    import torch

    from instruction_lora import answer_loss, load_base

    _, model = load_base()
    pairs = [
        {"instruction": "Name a color.", "input": "", "output": "Blue."},
        {"instruction": "Add the numbers.", "input": "2 and 3", "output": "The sum is 5."},
    ]
    rows = [encode_pair(tokenizer, p, 512) for p in pairs]
    pad, width = tokenizer.pad_token_id, max(len(ids) for ids, _ in rows)
    ids = torch.tensor([i + [pad] * (width - len(i)) for i, _ in rows])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in rows])
    mask = (torch.arange(width) < torch.tensor([[len(i)] for i, _ in rows])).long()
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        assert answer_loss(model, rows, pad).item() == pytest.approx(expected.item(), rel=1e-5)
