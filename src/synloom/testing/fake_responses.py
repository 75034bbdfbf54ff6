"""HTTP/1.1 framing and OpenAI-shaped bodies for the fake server (see `fake_openai`)."""

from __future__ import annotations

import hashlib
import json

from synloom.testing.fake_text import fake_review, word_tokens


def prompt_of(kind: str, req: dict) -> str:
    if kind == "chat":
        msgs = req.get("messages") or [{}]
        content = msgs[-1].get("content", "")
        return content if isinstance(content, str) else json.dumps(content)
    prompt = req.get("prompt", "")
    return prompt[0] if isinstance(prompt, list) and prompt else str(prompt)


def completion_response(kind: str, prompt: str, req: dict, model: str) -> dict:
    words = fake_review(prompt, req.get("seed"))
    max_tokens = int(req.get("max_tokens") or req.get("max_completion_tokens") or 16)
    text = " ".join(words[:max_tokens])
    finish = "length" if len(words) > max_tokens else "stop"
    stop = req.get("stop") or []
    for s in [stop] if isinstance(stop, str) else stop:
        pos = text.find(s)
        if pos >= 0:
            text, finish = text[:pos], "stop"
    n_out = len(text.split())
    usage = {"prompt_tokens": len(word_tokens(prompt)), "completion_tokens": n_out}
    usage["total_tokens"] = usage["prompt_tokens"] + n_out
    if kind == "chat":
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": finish,
        }
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": model,
            "choices": [choice],
            "usage": usage,
        }
    choice = {"index": 0, "text": text, "finish_reason": finish, "logprobs": None}
    return {
        "id": "cmpl-fake",
        "object": "text_completion",
        "model": model,
        "choices": [choice],
        "usage": usage,
    }


def fake_logprob(token: str) -> float:
    """The log-prob the fake server reports for `token`: fixed per token, in [-8.07, -0.1], so a
    test can compute exactly what a client must read for a given text."""
    return -0.1 - hashlib.sha256(token.encode()).digest()[0] / 32.0


def echo_response(prompt: str, req: dict, model: str) -> dict:
    """Echo the prompt with a deterministic log-prob per word piece, like vLLM's `echo=True`."""
    tokens, offsets, logprobs = [], [], []
    for start, tok in word_tokens(prompt):
        tokens.append(tok)
        offsets.append(start)
        logprobs.append(None if not logprobs and start == 0 else fake_logprob(tok))
    lp = {
        "tokens": tokens,
        "token_logprobs": logprobs,
        "text_offset": offsets,
        "top_logprobs": [None] + [{t: p} for t, p in zip(tokens[1:], logprobs[1:])],
    }
    choice = {"index": 0, "text": prompt, "finish_reason": "length", "logprobs": lp}
    return {
        "id": "cmpl-echo",
        "object": "text_completion",
        "model": model,
        "choices": [choice],
        "usage": {
            "prompt_tokens": len(tokens),
            "completion_tokens": 0,
            "total_tokens": len(tokens),
        },
    }


REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Welcome</title></head>"
    "<body><h1>It works!</h1><p>This is a web page, not an API.</p></body></html>\n"
)


def head(
    status: int,
    length: int,
    extra: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
    ]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def send(writer, status: int, payload: dict, extra: dict[str, str] | None = None) -> bool:
    body = json.dumps(payload).encode()
    writer.write(head(status, len(body), extra) + body)
    await writer.drain()
    return True


async def send_html(writer, page: str) -> bool:
    """200 with an HTML page, as a web server (not an OpenAI-compatible API) answers."""
    body = page.encode()
    writer.write(head(200, len(body), content_type="text/html; charset=utf-8") + body)
    await writer.drain()
    return True
