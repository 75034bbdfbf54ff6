"""Retry policy and the OpenAI wire format: backoff bounds, Retry-After parsing, payloads, parsing."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from synloom.backends.base import GenerationParams
from synloom.backends.http_retry import RequestFailure, RetryPolicy, parse_retry_after
from synloom.backends.openai_wire import (
    NoPromptLogprobs,
    generation_payload,
    parse_generation,
    parse_score,
    scrub,
)


def test_full_jitter_stays_within_exponential_bounds():
    policy = RetryPolicy(base_s=0.5, cap_s=4.0)
    rng = random.Random(0)
    for attempt in range(8):
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        bound = min(4.0, 0.5 * 2**attempt)
        assert all(0.0 <= d <= bound for d in delays)
        assert max(delays) > 0.8 * bound  # jitter spans the whole range ...
        assert min(delays) < 0.2 * bound  # ... not a fixed delay


def test_retry_after_is_a_lower_bound():
    rng = random.Random(1)
    assert all(RetryPolicy(base_s=0.1).delay(0, 2.5, rng) >= 2.5 for _ in range(50))


def test_parse_retry_after_seconds_and_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)


def test_which_failures_are_retried():
    assert RequestFailure("status", "x", status=503).retryable
    assert RequestFailure("status", "x", status=429).limiter_outcome == "overload"
    assert RequestFailure("timeout", "x").limiter_outcome == "timeout"
    assert RequestFailure("malformed", "x").retryable
    assert not RequestFailure("status", "x", status=400).retryable
    assert RequestFailure("status", "x", status=500).limiter_outcome == "error"


def test_payloads_for_both_endpoints():
    params = GenerationParams(
        max_new_tokens=12, temperature=0.7, top_p=0.8, top_k=0, stop=('"', "\n", "a", "b", "c")
    )
    comp = generation_payload("completions", "m", "Hi", params, seed=2**40 + 3)
    assert comp["prompt"] == "Hi" and comp["max_tokens"] == 12 and "top_k" not in comp
    assert len(comp["stop"]) == 4 and 0 <= comp["seed"] < 2**31
    chat = generation_payload("chat", "m", "Hi", GenerationParams(top_k=5), seed=1)
    assert chat["messages"] == [{"role": "user", "content": "Hi"}] and chat["top_k"] == 5


def test_parse_generation_applies_all_stop_strings_client_side():
    params = GenerationParams(stop=('"', "\n", "@", "#", "ZZ"))
    data = {
        "choices": [{"text": "great film ZZ more", "finish_reason": "length"}],
        "usage": {"completion_tokens": 5},
    }
    comp = parse_generation("completions", data, params)
    assert comp.text == "great film " and comp.finish_reason == "stop" and comp.n_tokens == 5
    chat = {"choices": [{"message": {"content": "ok"}, "finish_reason": "length"}]}
    assert parse_generation("chat", chat, GenerationParams(stop=())).finish_reason == "length"
    with pytest.raises(RequestFailure) as info:
        parse_generation("completions", {"error": "x"}, params)
    assert info.value.kind == "malformed" and info.value.retryable


def test_parse_score_keeps_continuation_tokens_only():
    data = {
        "choices": [
            {
                "text": "Hello there world",
                "logprobs": {
                    "tokens": ["Hello", " there", " world"],
                    "token_logprobs": [None, -1.0, -2.0],
                    "text_offset": [0, 5, 11],
                },
            }
        ]
    }
    assert parse_score(data, "Hello there", " world").tolist() == [-2.0]
    assert parse_score(data, "Hello", " there world").tolist() == [-1.0, -2.0]
    with pytest.raises(NoPromptLogprobs):
        parse_score({"choices": [{"text": "x", "logprobs": None}]}, "Hello", " there")


def test_scrub_removes_the_key():
    assert scrub("bad key Bearer sk-abcdef", "sk-abcdef") == "bad key Bearer ***"
    assert scrub("nothing", None) == "nothing"
