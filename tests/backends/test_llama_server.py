"""The OpenAI-compatible backend against a real llama.cpp `llama-server` on 127.0.0.1 serving the
embedded SmolLM2 GGUF. Skipped only outside CI when the binary is missing; in CI (CI=true) a
missing binary fails, since `.ci/run` installs it with scripts/install_llama_server.sh."""

from __future__ import annotations

import pytest

from synloom.backends.base import GenerationParams
from synloom.backends.openai_compat import OpenAIBackend
from synloom.errors import BackendError
from synloom.generate import run_generation
from synloom.spec import parse_spec
from tests.conftest import embedded_llama_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llama_server():
    with embedded_llama_server(parallel=4) as server:
        yield server


@pytest.mark.parametrize("endpoint", ["completions", "chat"])
def test_generate_against_llama_server(llama_server, endpoint):
    backend = OpenAIBackend(llama_server.base_url, endpoint=endpoint, max_concurrency=4)
    try:
        assert backend.model != "default"  # resolved from /v1/models
        prompts = [f'The movie review in {s} sentiment is: "' for s in ("positive", "negative")] * 3
        params = GenerationParams(max_new_tokens=16, temperature=0.8, stop=('"', "\n"))
        out = backend.generate(prompts, params, seeds=list(range(len(prompts))))
    finally:
        backend.close()
    assert len(out) == len(prompts)
    assert not [c.error for c in out if c.failed]
    assert all(0 < c.n_tokens <= 16 for c in out)
    assert all(c.finish_reason in ("stop", "length") for c in out)
    assert sum(bool(c.text.strip()) for c in out) >= len(out) // 2
    assert all('"' not in c.text and "\n" not in c.text for c in out)


def test_scoring_is_refused_with_a_clear_error(llama_server):
    backend = OpenAIBackend(llama_server.base_url)
    try:
        with pytest.raises(BackendError, match="does not return prompt log-probs"):
            backend.score(["The movie was"], [" great"])
    finally:
        backend.close()


def test_engine_run_through_llama_server(llama_server, tmp_path):
    spec = parse_spec(
        {
            "labels": [{"name": "positive"}, {"name": "negative"}],
            "seed_examples": [
                {"label": "positive", "text": "a gorgeous , witty , seductive movie ."},
                {"label": "negative", "text": "a dull , pretentious mess ."},
            ],
            "recipe": {
                "type": "fewshot",
                "k": 1,
                "min_words": 3,
                "example_template": 'The movie review in {verbalizer} sentiment is: "{text}"\n',
            },
            "generation": {"samples_per_label": 4, "max_new_tokens": 24, "max_rounds": 3},
            "backend": {"type": "openai", "base_url": llama_server.base_url, "max_concurrency": 4},
            "seed": 1,
        }
    )
    summary = run_generation(spec, tmp_path / "run")
    c = summary.counts
    assert c["accepted"] + c["rejected"] + c["failed"] == c["planned"]
    assert c["unfinished"] == 0 and c["failed"] == 0
    assert c["accepted"] > 0
