"""Adaptive concurrency for HTTP backends: grow while throughput grows, back off on overload.

Additive-increase / multiplicative-decrease (Chiu & Jain, 1989) with TCP-style slow start
(Jacobson, 1988), driven by measured throughput instead of packet loss:

- The limit is judged once per *window*: at least `limit` finished requests (about one round trip
  at full pipeline). A window only counts as a growth signal if the limit was saturated (requests
  were waiting for a slot), so an idle client never inflates its limit.
- Slow start doubles the limit while throughput beats the best seen so far by more than
  `growth_threshold`; at the first plateau it settles just above the best limit, after which it
  grows by one slot per window that beats the best (congestion avoidance). The window right after
  a change still mixes requests sent under the old limit, so it can only understate the new
  limit's throughput: in slow start it may justify the next doubling (so slow start doubles once
  per round trip, not once per two) but never a plateau; after a one-slot step it is skipped.
- If throughput stops growing, the limit stops growing. When at least `overload_fraction` of a
  window's requests end in 429 / 503 / timeout the limit is halved (at most once per window, so one
  burst does not collapse it to 1, and a few random faults are not read as overload).
- `Retry-After` pauses every new request until the given time, not only the one that got it.
- `max_limit` is the user's cap and is never exceeded.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

BEST_DECAY = 0.995  # per window: lets a server that got faster be probed again


@dataclass
class LimiterStats:
    """What the limiter did, for logs and benchmarks."""

    limit_history: list[tuple[float, int]] = field(default_factory=list)
    decreases: int = 0
    pauses: int = 0
    max_in_flight: int = 0


class AdaptiveLimiter:
    """An asyncio semaphore whose size adapts between 1 and `max_limit` (FIFO wake-up)."""

    def __init__(
        self,
        initial: int = 8,
        max_limit: int = 64,
        *,
        min_limit: int = 1,
        growth_threshold: float = 0.05,
        backoff: float = 0.5,
        overload_fraction: float = 0.1,
        min_window: int = 8,
        adaptive: bool = True,
    ):
        self.max_limit = max(1, max_limit)
        self.min_limit = max(1, min(min_limit, self.max_limit))
        self._limit = float(min(max(initial, self.min_limit), self.max_limit))
        self.adaptive = adaptive
        self.growth_threshold = growth_threshold
        self.backoff = backoff
        self.overload_fraction = overload_fraction
        self.min_window = min_window
        self._slow_start = True
        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._paused_until = 0.0
        self._wake_handle: asyncio.TimerHandle | None = None
        self.stats = LimiterStats()
        self._reset_window(time.monotonic())
        self._best_tp = 0.0
        self._best_limit = self._limit
        self._settling = False

    # slots -----------------------------------------------------------------
    @property
    def limit(self) -> int:
        return int(self._limit)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def acquire(self) -> None:
        """Wait for a slot (FIFO), also waiting out any Retry-After pause."""
        if not self._waiters and self._can_admit():
            self._take()
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        self._saturated = True
        self._schedule_wake()
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._in_flight -= 1  # the slot was handed over just as we were cancelled
                self._wake()
            else:
                self._waiters.remove(fut)
            raise

    def release(
        self, outcome: str = "ok", weight: float = 1.0, retry_after: float | None = None
    ) -> None:
        """Free a slot and report how the request went: "ok", "overload", "timeout" or "error".

        `weight` is the amount of work done (e.g. completion tokens + 1); `retry_after` (seconds)
        pauses all new requests.
        """
        self._in_flight -= 1
        now = time.monotonic()
        if retry_after is not None and retry_after > 0:
            until = now + retry_after
            if until > self._paused_until:
                self._paused_until = until
                self.stats.pauses += 1
        if outcome in ("overload", "timeout"):
            self._overloads += 1
        elif outcome == "ok":
            self._done_weight += weight
        self._done += 1
        if self.adaptive and self._done >= max(self.limit, self.min_window):
            self._judge_window(now)
        self._wake()

    async def __aenter__(self) -> AdaptiveLimiter:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release("error" if exc[0] is not None else "ok")

    # adaptation ------------------------------------------------------------
    def _judge_window(self, now: float) -> None:
        elapsed = max(now - self._window_start, 1e-6)
        tp = self._done_weight / elapsed
        overloaded = self._overloads > 0 and self._overloads >= self.overload_fraction * self._done
        settling, self._settling = self._settling, False
        if overloaded:
            self._slow_start = False
            self._best_tp = 0.0  # conditions changed: measure the new best from scratch
            self._set_limit(max(self.min_limit, self._limit * self.backoff))
            self.stats.decreases += 1
        elif settling and not self._slow_start:
            pass  # the window after a step still mixes requests sent under the old limit
        elif tp > self._best_tp * (1 + self.growth_threshold):
            # In slow start also right after a doubling: a window that still mixes requests sent
            # under the old limit understates the new one's throughput, so if it beats the best,
            # so does the new limit (docs/serving.md, Benchmarks (a): 8 to 64 in ~0.37 s, not 0.56).
            self._best_tp, self._best_limit = tp, self._limit
            if self._saturated and self._limit < self.max_limit:
                step = self._limit if self._slow_start else 1.0
                self._set_limit(min(self.max_limit, self._limit + step))
        elif settling:
            pass  # a mixed window that did not beat the best proves no plateau
        elif self._slow_start and self._saturated:
            # Plateau: the last doubling bought nothing. Settle just above the best limit seen
            # and probe one slot at a time from there.
            self._slow_start = False
            self._set_limit(min(self._limit, max(self._best_limit * 1.25, self._best_limit + 1)))
        self._best_tp *= BEST_DECAY
        self._reset_window(now)

    def _set_limit(self, value: float) -> None:
        self._settling = value != self._limit
        self._limit = value
        self.stats.limit_history.append((time.monotonic(), self.limit))

    def _reset_window(self, now: float) -> None:
        self._window_start = now
        self._done = 0
        self._done_weight = 0.0
        self._overloads = 0
        self._saturated = bool(self._waiters)

    # waking ----------------------------------------------------------------
    def _can_admit(self) -> bool:
        return self._in_flight < self.limit and time.monotonic() >= self._paused_until

    def _take(self) -> None:
        self._in_flight += 1
        if self._in_flight > self.stats.max_in_flight:
            self.stats.max_in_flight = self._in_flight

    def _wake(self) -> None:
        while self._waiters and self._can_admit():
            fut = self._waiters.popleft()
            if not fut.done():
                self._take()
                fut.set_result(None)
        self._schedule_wake()

    def _schedule_wake(self) -> None:
        delay = self._paused_until - time.monotonic()
        if self._waiters and delay > 0 and self._wake_handle is None:

            def fire() -> None:
                self._wake_handle = None
                self._wake()

            self._wake_handle = asyncio.get_running_loop().call_later(delay, fire)
