"""OpenAIBackend against the fake server without faults: both endpoints, per-request seeds,
streaming order, log-prob scoring where the server echoes prompts and a clear error where not."""

from __future__ import annotations

import numpy as np
import pytest

from synloom.backends.base import GenerationParams
from synloom.backends.openai_compat import OpenAIBackend
from synloom.errors import BackendError
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from synloom.testing.fake_responses import fake_logprob
from synloom.testing.fake_text import fake_review, word_tokens

PARAMS = GenerationParams(max_new_tokens=40, stop=('"', "\n"))


@pytest.fixture
def server():
    with FakeOpenAIServer(FakeConfig(latency_s=0.005)) as srv:
        yield srv


@pytest.mark.parametrize("endpoint", ["completions", "chat"])
def test_generate_returns_server_text_cut_at_stop(server, endpoint):
    backend = OpenAIBackend(server.base_url, endpoint=endpoint)
    try:
        prompts = ['Review in positive sentiment: "', 'Review in negative sentiment: "'] * 4
        out = backend.generate(prompts, PARAMS, seeds=[1, 1, 2, 2, 3, 3, 4, 4])
    finally:
        backend.close()
    assert backend.model == "fake-model"  # "default" resolved from /v1/models
    for prompt, seed, comp in zip(prompts, [1, 1, 2, 2, 3, 3, 4, 4], out):
        expected = " ".join(fake_review(prompt, seed)).split('"')[0]
        assert comp.text == expected and comp.finish_reason == "stop" and not comp.failed
        assert comp.n_tokens == len(expected.split())
    assert out[0].text != out[2].text  # the seed reaches the server
    assert server.counters["requests"] == len(prompts)


def test_stream_yields_every_index_once(server):
    backend = OpenAIBackend(server.base_url, max_concurrency=8)
    try:
        got = list(backend.stream(["p"] * 50, PARAMS, list(range(50))))
    finally:
        backend.close()
    assert sorted(i for i, _ in got) == list(range(50))
    assert server.max_in_flight <= 8


def test_score_reads_echoed_prompt_logprobs(server):
    prompts, continuations = ["The movie was", "It is"], [" really great", " bad"]
    backend = OpenAIBackend(server.base_url)
    try:
        scores = backend.score(prompts, continuations)
    finally:
        backend.close()
    assert [len(s) for s in scores] == [2, 1]
    for prompt, cont, got in zip(prompts, continuations, scores):
        # exactly the fake server's values for the continuation's tokens, not the prompt's
        want = [fake_logprob(t) for s, t in word_tokens(prompt + cont) if s >= len(prompt)]
        np.testing.assert_allclose(got, want, rtol=1e-6)
        # the prompt's last tokens have other values, so scoring them instead would fail above
        assert want != [fake_logprob(t) for _, t in word_tokens(prompt)][-len(want) :]


def test_score_without_echo_support_is_a_clear_error():
    with FakeOpenAIServer(FakeConfig(echo_logprobs=False)) as srv:
        backend = OpenAIBackend(srv.base_url)
        try:
            with pytest.raises(BackendError, match="does not return prompt log-probs"):
                backend.score(["The movie was"], [" great"])
        finally:
            backend.close()


def test_unknown_route_is_fatal_not_a_failed_row(server):
    backend = OpenAIBackend(server.base_url + "/nowhere", check_server=False)
    try:
        with pytest.raises(BackendError, match="HTTP 404"):
            backend.generate(["p"], PARAMS, [0])
    finally:
        backend.close()
