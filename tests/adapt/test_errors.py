"""`synloom adapt` and `backend.adapter` on bad input: one line `error: ...`, exit 2, nothing
written, before any model is loaded; and what of an adapter directory the data fingerprint sees."""

from __future__ import annotations

import json

import pytest
import yaml

from synloom.spec import parse_spec
from synloom.spec.adapter_dir import ADAPTER_META
from synloom.spec.fingerprint import data_fingerprint, fingerprint_hash
from tests.helpers import run_cli

SEEDS = [
    {"text": "a warm, funny and moving film", "label": "positive"},
    {"text": "a tedious mess from start to finish", "label": "negative"},
]


def spec_dict(**changes) -> dict:
    data = {
        "name": "adapt-errors",
        "labels": [
            {"name": "positive", "verbalizers": ["positive"]},
            {"name": "negative", "verbalizers": ["negative"]},
        ],
        "recipe": {"type": "zerogen", "prompt": 'The movie review in {verbalizer} sentiment is: "'},
        "seed_examples": SEEDS,
    }
    return data | changes


def write_spec(tmp_path, **changes):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec_dict(**changes)), "utf-8")
    return path


def one_line_error(result, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("changes", "args", "words"),
    [
        ({}, ["--method", "bitfit"], ["method", "lora"]),
        ({}, ["--method", "lora", "--epochs", "0"], ["epochs"]),
        ({}, ["--method", "lora", "--lr", "-1"], ["learning_rate"]),
        ({"seed_examples": []}, ["--method", "lora"], ["seed examples"]),
        (
            {"recipe": {"type": "zerogen", "prompt": 'A {verbalizer} review of "{context}": "'}},
            ["--method", "prefix"],
            ["{context}"],
        ),
        (
            {"recipe": {"type": "zerogen", "prompt": 'A movie review: "'}},
            ["--method", "lora"],
            ["same prompt"],
        ),
        ({"backend": {"type": "openai"}}, ["--method", "lora"], ["local"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, changes, args, words):
    spec = write_spec(tmp_path, **changes)
    result = run_cli("adapt", spec, "--out", tmp_path / "adapter", *args)
    one_line_error(result, *words)
    assert not (tmp_path / "adapter").exists()


def test_fewgen_refuses_unlabeled_texts(tmp_path):
    spec = write_spec(tmp_path)
    texts = tmp_path / "texts.txt"
    texts.write_text("an unlabeled review\nanother one\n", "utf-8")
    result = run_cli("adapt", spec, "-m", "fewgen", "-o", tmp_path / "a", "--unlabeled", texts)
    one_line_error(result, "unlabeled")


def test_out_must_be_an_adapter_or_empty(tmp_path):
    spec = write_spec(tmp_path)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", "utf-8")
    one_line_error(run_cli("adapt", spec, "-m", "lora", "-o", tmp_path / "busy"), "non-empty")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]


def fake_adapter(path, weights: bytes = b"w1"):
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text('{"peft_type": "LORA"}', "utf-8")
    (path / "adapter_model.safetensors").write_bytes(weights)
    (path / ADAPTER_META).write_text(json.dumps({"method": "lora", "base": {}}), "utf-8")
    return path


def test_backend_adapter_must_be_a_finished_adapter_directory(tmp_path):
    missing = write_spec(tmp_path, backend={"type": "local", "adapter": "nowhere"})
    one_line_error(run_cli("generate", missing, "--out", tmp_path / "run"), "no adapter directory")
    (tmp_path / "half" / "checkpoint").mkdir(parents=True)
    half = write_spec(tmp_path, backend={"type": "local", "adapter": "half"})
    one_line_error(run_cli("generate", half, "--out", tmp_path / "run"), "did not finish")
    assert not (tmp_path / "run").exists()


def test_the_fingerprint_sees_the_adapter_weights_not_their_path(tmp_path):
    def fp(adapter):
        spec = parse_spec(
            spec_dict(backend={"type": "local", "adapter": str(adapter)}), base_dir=tmp_path
        )
        return fingerprint_hash(data_fingerprint(spec))

    first = fp(fake_adapter(tmp_path / "a"))
    assert fp(fake_adapter(tmp_path / "elsewhere" / "b")) == first
    assert fp(fake_adapter(tmp_path / "c", weights=b"w2")) != first
    without = fingerprint_hash(data_fingerprint(parse_spec(spec_dict())))
    assert without != first
    # a spec without an adapter keeps the fingerprint it had before `adapter` existed
    assert "adapter" not in data_fingerprint(parse_spec(spec_dict()))["backend"]
