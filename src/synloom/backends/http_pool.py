"""Concurrency and retries for HTTP backends, held once (the lm-evaluation-harness `TemplateAPI`
split): a backend only supplies one attempt per request; the pool keeps as many in flight as the
adaptive limiter allows, retries what is worth retrying, and turns a request that exhausts its
retries into a `Completion` with `error` set instead of dropping it. An unreachable server is not
a per-request failure: it raises `BackendError` so the run stops and resumes later."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from synloom.backends.base import Completion
from synloom.backends.concurrency import AdaptiveLimiter
from synloom.backends.http_retry import RequestFailure, RetryPolicy
from synloom.errors import BackendError

log = logging.getLogger(__name__)

Attempt = Callable[[], Awaitable[Any]]


class RequestPool:
    """Runs attempts under one `AdaptiveLimiter` and one `RetryPolicy` (create inside the loop)."""

    def __init__(
        self,
        limiter: AdaptiveLimiter,
        policy: RetryPolicy,
        redact: Callable[[str], str] = lambda s: s,
        seed: int = 0,
    ):
        self.limiter = limiter
        self.policy = policy
        self.redact = redact
        self._rng = random.Random(seed)

    async def fan_out(
        self, n: int, attempt_fn: Callable[[int], Attempt]
    ) -> AsyncIterator[tuple[int, Any]]:
        """Run requests 0..n-1, yielding (i, result) as each finishes. Only requests holding a slot
        have a task, so memory stays flat for any n. Exceptions other than RequestFailure (e.g. a
        BackendError for a bad key) cancel the rest and propagate."""
        done: asyncio.Queue[tuple[int, Any] | BaseException] = asyncio.Queue()
        tasks: set[asyncio.Task] = set()

        async def run(i: int) -> None:
            try:
                await done.put((i, await self.with_retries(attempt_fn(i), first_slot=True)))
            except BaseException as exc:  # handed to the consumer below
                await done.put(exc)

        async def feed() -> None:
            for i in range(n):
                await self.limiter.acquire()
                task = asyncio.create_task(run(i))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

        feeder = asyncio.create_task(feed())
        try:
            for _ in range(n):
                item = await done.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            feeder.cancel()
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(feeder, *tasks, return_exceptions=True)

    async def with_retries(self, attempt: Attempt, first_slot: bool = False) -> Any:
        """Attempts until success, a non-retryable failure or `max_retries` retries; the caller
        already holds a limiter slot for the first attempt when `first_slot`."""
        limiter = self.limiter
        n = 0
        while True:
            if not (first_slot and n == 0):
                await limiter.acquire()
            try:
                result = await attempt()
            except RequestFailure as exc:
                limiter.release(exc.limiter_outcome, retry_after=exc.retry_after)
                message = self.redact(str(exc))
                if exc.kind == "unreachable" and n >= self.policy.max_retries:
                    # The server is gone, not this request: stop, so that the remaining requests
                    # stay unfinished and a rerun sends them, instead of recording them as failed.
                    raise BackendError(f"{message} ({n + 1} attempts); rerun to resume") from None
                if not exc.retryable or n >= self.policy.max_retries:
                    log.debug("request failed for good: %s", message)
                    return Completion("", "error", error=f"{message} (attempts: {n + 1})")
                log.debug("attempt %d failed, retrying: %s", n + 1, message)
                await asyncio.sleep(self.policy.delay(n, exc.retry_after, self._rng))
                n += 1
                continue
            except BaseException:
                limiter.release("error")
                raise
            tokens = result.n_tokens if isinstance(result, Completion) else 0
            limiter.release("ok", weight=tokens + 1)
            return result
