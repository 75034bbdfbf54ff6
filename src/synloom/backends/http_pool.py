"""Concurrency and retries for HTTP backends, held once (the lm-evaluation-harness `TemplateAPI`
split): a backend only supplies one attempt per request; the pool keeps as many in flight as the
adaptive limiter allows, retries what is worth retrying, and turns a request that exhausts its
retries into a `Completion` with `error` set instead of dropping it. An unreachable server is not
a per-request failure: it raises `BackendError` so the run stops and resumes later. Nor is a failure
every request shares: when the first `early_stop` outcomes all failed with one permanent error
(HTTP 400, an HTML page), the pool sends nothing more and raises `SharedFailure`. A server's
Retry-After is honoured up to the policy's cap, and every long or capped wait is announced once."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from synloom.backends.base import Completion, SharedFailure
from synloom.backends.concurrency import AdaptiveLimiter
from synloom.backends.http_retry import RequestFailure, RetryPolicy
from synloom.errors import BackendError

log = logging.getLogger(__name__)

Attempt = Callable[[], Awaitable[Any]]

EARLY_STOP = 8  # first outcomes of a fan-out that, all failed alike and for good, stop it
NOTICE_WAIT_S = 5.0  # server-requested waits at least this long are announced


def stderr_notice(message: str) -> None:
    """Default announcement channel: one line on stderr (rich's live display keeps it above)."""
    print(f"notice: {message}", file=sys.stderr, flush=True)


class RequestPool:
    """Runs attempts under one `AdaptiveLimiter` and one `RetryPolicy` (create inside the loop)."""

    def __init__(
        self,
        limiter: AdaptiveLimiter,
        policy: RetryPolicy,
        redact: Callable[[str], str] = lambda s: s,
        seed: int = 0,
        *,
        notify: Callable[[str], None] = stderr_notice,
        early_stop: int = EARLY_STOP,
    ):
        self.limiter = limiter
        self.policy = policy
        self.redact = redact
        self.notify = notify
        self.early_stop = early_stop
        self._rng = random.Random(seed)
        self._announced_until = 0.0

    async def fan_out(
        self, n: int, attempt_fn: Callable[[int], Attempt]
    ) -> AsyncIterator[tuple[int, Any]]:
        """Run requests 0..n-1, yielding (i, result) as each finishes. Only requests holding a slot
        have a task, so memory stays flat for any n. Exceptions other than RequestFailure (e.g. a
        BackendError for a bad key) cancel the rest and propagate; so does `SharedFailure` once
        the first `early_stop` results all failed with the same permanent error."""
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
        watch = _SharedFailureWatch(self.early_stop)
        try:
            for _ in range(n):
                item = await done.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                shared = watch.observe(item[1])
                if shared is not None:
                    raise SharedFailure(f"every request failed with: {shared}")
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
                retry_after = self._server_wait(exc.retry_after)
                limiter.release(exc.limiter_outcome, retry_after=retry_after)
                message = self.redact(str(exc))
                if exc.kind == "unreachable" and n >= self.policy.max_retries:
                    # The server is gone, not this request: stop, so that the remaining requests
                    # stay unfinished and a rerun sends them, instead of recording them as failed.
                    raise BackendError(f"{message} ({n + 1} attempts); rerun to resume") from None
                if not exc.retryable or n >= self.policy.max_retries:
                    log.info("request failed for good: %s", message)
                    return Completion(
                        "",
                        "error",
                        error=f"{message} (attempts: {n + 1})",
                        error_kind=exc.signature,
                        permanent=not exc.retryable,
                    )
                log.info("attempt %d failed, retrying: %s", n + 1, message)
                await asyncio.sleep(self.policy.delay(n, retry_after, self._rng))
                n += 1
                continue
            except BaseException:
                limiter.release("error")
                raise
            tokens = result.n_tokens if isinstance(result, Completion) else 0
            limiter.release("ok", weight=tokens + 1)
            return result

    def _server_wait(self, retry_after: float | None) -> float | None:
        """The wait a server asked for, capped by the policy; a wait of `NOTICE_WAIT_S` or more,
        or a capped one, is announced once (not once per request that was told the same)."""
        if retry_after is None:
            return None
        wait = self.policy.capped(retry_after)
        assert wait is not None
        if wait < NOTICE_WAIT_S and wait >= retry_after:
            return wait
        until = time.monotonic() + wait
        if until > self._announced_until + NOTICE_WAIT_S:
            self._announced_until = until
            if wait < retry_after:
                self.notify(
                    f"server asked to wait {retry_after:g} s (Retry-After); waiting {wait:g} s"
                    " (the cap, backend.max_retry_after_s)"
                )
            else:
                self.notify(f"server asked to wait {wait:g} s (Retry-After); waiting")
        return wait


class _SharedFailureWatch:
    """Watches the first outcomes of a fan-out: `observe` returns the error once the first `n`
    all failed permanently with the same `error_kind` (0 turns the watch off)."""

    def __init__(self, n: int):
        self.n = n
        self.seen = 0
        self.kind: str | None = None
        self.error: str | None = None

    def observe(self, result: Any) -> str | None:
        if self.seen < 0 or self.n <= 0:
            return None
        same = (
            isinstance(result, Completion)
            and result.permanent
            and (self.kind is None or result.error_kind == self.kind)
        )
        if not same:
            self.seen = -1  # something else happened first: the cause is not shared by all
            return None
        self.kind = result.error_kind
        self.error = self.error or result.error
        self.seen += 1
        return self.error if self.seen >= self.n else None
