"""A server's Retry-After is honoured only up to `backend.max_retry_after_s`, and every long or
capped wait is announced instead of slept silently (issue 9, item 4)."""

from __future__ import annotations

from synloom.backends.base import GenerationParams
from synloom.backends.concurrency import AdaptiveLimiter
from synloom.backends.http_pool import RequestPool
from synloom.backends.http_retry import RetryPolicy
from synloom.backends.openai_compat import OpenAIBackend
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer
from tests.helpers import run_cli

DAY = 86400


def test_a_day_long_retry_after_is_capped_and_announced_once():
    # Every 5th request opens a short 429 burst whose answers say "Retry-After: 86400".
    cfg = FakeConfig(burst_every=5, burst_s=0.05, retry_after_s=DAY)
    notices: list[str] = []
    with FakeOpenAIServer(cfg) as server:
        backend = OpenAIBackend(
            server.base_url,
            initial_concurrency=4,
            max_concurrency=4,
            # retries released together by the same capped wait can open the next burst among
            # themselves; with 3 retries one request lost that race in a fresh-clone run (9 reruns passed)
            max_retries=6,
            max_retry_after_s=0.5,
            notify=notices.append,
        )
        try:
            prompts = [f"Review {i}: " for i in range(20)]
            out = backend.generate(prompts, GenerationParams(), list(range(20)))
        finally:
            backend.close()
    assert server.counters["429_burst"] > 0
    assert all(not c.failed for c in out), [c.error for c in out if c.failed]
    assert backend.limiter.stats.pauses > 0
    assert notices, "a capped Retry-After must be announced"
    assert set(notices) == {
        "server asked to wait 86400 s (Retry-After); waiting 0.5 s "
        "(the cap, backend.max_retry_after_s)"
    }


def test_long_waits_are_announced_and_short_ones_are_not():
    notices: list[str] = []
    pool = RequestPool(AdaptiveLimiter(), RetryPolicy(max_retry_after_s=60), notify=notices.append)
    assert pool._server_wait(None) is None
    assert pool._server_wait(1.5) == 1.5 and notices == []
    assert pool._server_wait(30) == 30
    assert notices == ["server asked to wait 30 s (Retry-After); waiting"]
    assert pool._server_wait(30) == 30 and len(notices) == 1  # the same pause: said once
    assert pool._server_wait(DAY) == 60
    assert notices[-1] == (
        "server asked to wait 86400 s (Retry-After); waiting 60 s "
        "(the cap, backend.max_retry_after_s)"
    )


def test_cli_announces_the_capped_wait_on_stderr(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "labels: [{name: positive}, {name: negative}]\n"
        "recipe: {type: zerogen, prompt: 'A {verbalizer} review: \"', min_words: 3}\n"
        "generation: {samples_per_label: 10, batch_size: 4}\n"
        "backend: {type: openai, model: fake-model, max_retry_after_s: 0.5,"
        " initial_concurrency: 2, max_concurrency: 2}\n"
    )
    cfg = FakeConfig(burst_every=7, burst_s=0.05, retry_after_s=DAY)
    with FakeOpenAIServer(cfg) as server:
        result = run_cli(
            "generate", spec, "--out", tmp_path / "run", "--base-url", server.base_url, timeout=120
        )
    assert result.returncode == 0, result.stderr
    assert server.counters["429_burst"] > 0
    assert "notice: server asked to wait 86400 s (Retry-After); waiting 0.5 s" in result.stderr
