"""n completions of one prompt over the OpenAI completions API (`generation.samples_per_prompt`):
one request with `n` (vLLM serves the n samples from one prefill of the prompt), or n requests of
one choice each for a server that refuses or ignores `n`.

llama-server refuses `n` != 1 ("Only one completion choice is allowed", HTTP 500 in some
versions, 400 in others); a server that ignores it answers one choice. Either way the backend
learns it once and sends single requests from then on, each with its own sample's seed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from synloom.backends.base import Completion
from synloom.backends.http_retry import RequestFailure
from synloom.backends.openai_wire import parse_generation

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator, Iterator

    from synloom.backends.base import GenerationParams

log = logging.getLogger(__name__)

REFUSAL = "completion choice"  # llama-server's "Only one completion choice is allowed"


def refuses_n(exc: RequestFailure) -> bool:
    """Whether a failed request was refused for asking for more than one choice."""
    return REFUSAL in str(exc).lower()


def parse_choices(
    endpoint: str, data: Any, params: GenerationParams, n: int
) -> list[Completion] | None:
    """The n choices of an answer in index order, each as a Completion (the server's completion
    tokens, counted over all choices, split evenly among them); None when the answer holds fewer
    than n choices (a server that ignored `n`)."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or len(choices) < n:
        return None
    if all(isinstance(c, dict) and isinstance(c.get("index"), int) for c in choices):
        choices = sorted(choices, key=lambda c: c["index"])
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    share = int(usage.get("completion_tokens") or 0) // n
    return [
        parse_generation(endpoint, {"choices": [c], "usage": {"completion_tokens": share}}, params)
        for c in choices[:n]
    ]


class ChoiceSender:
    """Sends the n samples of one prompt; `one_choice` once the server refused or ignored `n`."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.one_choice = False

    async def send(
        self,
        post: Callable[[str, dict], Awaitable[Any]],
        path: str,
        bodies: list[dict],
        endpoint: str,
        params: GenerationParams,
    ) -> list[Completion]:
        """The completions of `bodies` (one per sample, each with its seed): the first body with
        `n` in one request while the server serves it, else every body on its own."""
        n = len(bodies)
        if not self.one_choice:
            try:
                data = await post(path, {**bodies[0], "n": n})
            except RequestFailure as exc:
                if not refuses_n(exc):
                    raise
                data = None
            got = None if data is None else parse_choices(endpoint, data, params, n)
            if got is not None:
                return got
            self.one_choice = True
            log.info("server %s serves one choice per request: n sent apart", self.base_url)
        return [parse_generation(endpoint, await post(path, body), params) for body in bodies]


def per_completion(
    results: Iterator[tuple[int, Any]], n: int
) -> Generator[tuple[int, Completion], None, None]:
    """(i * n + k, Completion) from the pool's (i, result) of prompt i: its n choices, or the
    request's failure n times (every sample of the prompt failed with it)."""
    try:
        for i, result in results:
            if isinstance(result, Completion):
                for k in range(n):
                    yield i * n + k, result
            else:
                for k, completion in enumerate(result):
                    yield i * n + k, completion
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
