"""`synloom -v` shows the backend's decisions: which model was loaded (id, revision, dtype, device,
load seconds) for the local backend, and which server and model for the HTTP one; without `-v`
none of it reaches stderr. Real commands: `generate` with a real (tiny, random) transformers
Llama saved as a user's model directory, and against the fake OpenAI-compatible server."""

from __future__ import annotations

import re

import pytest
import yaml

from synloom.cli.app import run as cli
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.backends.test_model_loading import save_tiny_llama
from tests.cli.conftest import generate_argv, write_spec


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


def local_spec(folder, model) -> str:
    data = {
        "name": "log-test",
        "labels": [{"name": "positive"}, {"name": "negative"}],
        "recipe": {"type": "zerogen", "prompt": "a {verbalizer} film", "min_words": 1},
        "generation": {
            "samples_per_label": 1,
            "batch_size": 2,
            "max_new_tokens": 3,
            "stop": [],
            "max_rounds": 8,
        },
        "backend": {"type": "local", "model": str(model), "dtype": "auto", "device": "cpu"},
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_verbose_names_the_loaded_model_and_plain_output_does_not(tmp_path, tiny_llama, capsys):
    spec = local_spec(tmp_path, tiny_llama)
    assert cli(["generate", spec, "--out", str(tmp_path / "plain")]) == 0
    plain = capsys.readouterr()
    assert cli(["-v", "generate", spec, "--out", str(tmp_path / "loud")]) == 0
    loud = capsys.readouterr()

    line = next((ln for ln in loud.err.splitlines() if "loaded model" in ln), None)
    assert line is not None, loud.err
    assert line.startswith(f"INFO synloom.backends.hf_model: loaded model '{tiny_llama}'")
    assert re.search(
        rf"from directory {re.escape(str(tiny_llama))}: revision none, dtype (float32|bfloat16) "
        r"\(asked auto\), device cpu, \d+\.\d s$",
        line,
    ), line
    assert re.search(
        r"INFO synloom\.backends\.hf_model: dtype auto: (float32|bfloat16) \(a CPU", loud.err
    )
    assert "INFO synloom.backends.local: local backend: " in loud.err
    for noise in ("loaded model", "dtype auto", "INFO synloom"):
        assert noise not in plain.err, plain.err
    assert "loaded model" not in loud.out  # logs never reach stdout


def test_verbose_names_the_server_and_model_chosen(tmp_path, capsys):
    spec = write_spec(tmp_path / "spec.yaml", per_label=1)
    with FakeOpenAIServer(FakeConfig()) as server:
        assert cli(generate_argv(spec, tmp_path / "plain", server.base_url)) == 0
        plain = capsys.readouterr()
        argv = [*generate_argv(spec, tmp_path / "loud", server.base_url)[:-2], "-v"]
        assert cli(argv) == 0  # no --model: "default" resolves to the server's only model
        loud = capsys.readouterr()
    assert re.search(
        rf"INFO synloom\.backends\.openai_compat: server {re.escape(server.base_url)}: model "
        r"'[^']+' \(the server's only model\), completions endpoint, at most \d+ requests",
        loud.err,
    ), loud.err
    assert "synloom.backends.openai_compat" not in plain.err
