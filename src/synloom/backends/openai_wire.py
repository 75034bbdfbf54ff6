"""Request payloads and response parsing of the OpenAI completions / chat completions wire format.

Pure functions (no I/O), shared by the HTTP backend and its tests. Malformed answers raise
`RequestFailure("malformed", ...)`, which the backend retries like a dropped connection.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from synloom.backends.base import Completion, GenerationParams, cut_at_stop
from synloom.backends.http_retry import RequestFailure
from synloom.prompts.chat import decode_chat

MAX_STOP_STRINGS = 4  # OpenAI rejects more; the rest are applied client-side


def generation_payload(
    endpoint: str, model: str, prompt: str, params: GenerationParams, seed: int
) -> dict[str, Any]:
    """Body of one completions or chat completions request."""
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "seed": int(seed) % (2**31),
    }
    if params.top_k > 0:  # not in the OpenAI API; vLLM, llama-server and Ollama accept it
        body["top_k"] = params.top_k
    if params.stop:
        body["stop"] = list(params.stop[:MAX_STOP_STRINGS])
    if params.json_schema is not None:  # structured records: the server's structured output
        body["response_format"] = json_schema_format(params.json_schema)
        if endpoint != "chat":  # llama-server ignores response_format on /v1/completions
            body["json_schema"] = json.loads(params.json_schema)
    if endpoint == "chat":  # a recipe's chat messages (prompts/chat.py), else one user message
        body["messages"] = decode_chat(prompt) or [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    return body


def json_schema_format(schema: str) -> dict[str, Any]:
    """The OpenAI `response_format` asking for JSON that follows `schema` (JSON text). vLLM reads
    it on both endpoints, llama-server on /v1/chat/completions only (measured: on
    /v1/completions it answers as if unasked), which is why a completions body also carries
    llama-server's own top-level `json_schema`."""
    return {
        "type": "json_schema",
        "json_schema": {"name": "record", "schema": json.loads(schema), "strict": True},
    }


def parse_generation(endpoint: str, data: Any, params: GenerationParams) -> Completion:
    """A Completion from a 200 answer; the stop strings are applied again client-side."""
    try:
        choice = data["choices"][0]
        if endpoint == "chat":
            raw = choice["message"].get("content") or ""
        else:
            raw = choice["text"]
        reason = choice.get("finish_reason")
        usage = data.get("usage") or {}
        n_tokens = int(usage.get("completion_tokens") or 0)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise RequestFailure("malformed", f"unexpected response shape ({exc!r})") from None
    if not isinstance(raw, str):
        raise RequestFailure("malformed", "completion text is not a string")
    text, stopped = cut_at_stop(raw, params.stop)
    finish = "length" if reason == "length" and not stopped else "stop"
    return Completion(text=text, finish_reason=finish, raw_text=raw, n_tokens=n_tokens)


def score_payload(model: str, prompt: str, continuation: str) -> dict[str, Any]:
    """Echo the prompt + continuation with one log-prob per token (the lm-eval-harness recipe)."""
    return {
        "model": model,
        "prompt": prompt + continuation,
        "max_tokens": 1,
        "temperature": 0.0,
        "echo": True,
        "logprobs": 1,
    }


class NoPromptLogprobs(Exception):
    """The server answered but without prompt log-probs (it ignores `echo`)."""


def parse_score(data: Any, prompt: str, continuation: str) -> np.ndarray:
    """Log-probs of the tokens that end inside the continuation (a token straddling the boundary
    counts for the continuation, since the server tokenizes prompt + continuation together)."""
    try:
        choice = data["choices"][0]
        lp = choice.get("logprobs")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise RequestFailure("malformed", f"unexpected response shape ({exc!r})") from None
    if not lp or not lp.get("token_logprobs") or not lp.get("tokens"):
        raise NoPromptLogprobs("no logprobs in the answer")
    tokens, logprobs = lp["tokens"], lp["token_logprobs"]
    offsets = lp.get("text_offset")
    full = prompt + continuation
    if offsets is None:
        offsets, pos = [], 0
        for tok in tokens:
            offsets.append(pos)
            pos += len(tok)
    if not choice.get("text", "").startswith(full) and "".join(tokens)[: len(full)] != full:
        raise NoPromptLogprobs("the answer does not echo the prompt")
    out = [
        float(p)
        for tok, off, p in zip(tokens, offsets, logprobs)
        if off + len(tok) > len(prompt) and off < len(full) and p is not None
    ]
    if not out:
        raise NoPromptLogprobs("no log-probs cover the continuation")
    return np.asarray(out, dtype=np.float32)


SCRUB_MIN_PART = 8  # a run of this many leading key characters counts as (part of) the key


def scrub(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (an API key) replaced, for errors and logs; so is
    any start of the key of `SCRUB_MIN_PART` characters or more (a server that cut its own echo
    of the key). Scrub the whole text before truncating it, never after."""
    if not secret or len(secret) < 4:
        return text
    text = text.replace(secret, "***")
    head = secret[: min(SCRUB_MIN_PART, len(secret))]
    pos = text.find(head)
    while pos >= 0:
        end = pos + len(head)
        while end < len(text) and end - pos < len(secret) and text[end] == secret[end - pos]:
            end += 1
        text = text[:pos] + "***" + text[end:]
        pos = text.find(head, pos + 3)
    return text
