"""The adaptive limiter against the fake server: grows to the cap when the server keeps up, stays
near the server's capacity when it does not, backs off on 429 bursts and honours Retry-After."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from synloom.backends.concurrency import AdaptiveLimiter
from synloom.testing.fake_openai import FakeConfig, FakeOpenAIServer

BODY = {"model": "m", "prompt": "Review positive: ", "max_tokens": 8}


async def drive(url: str, limiter: AdaptiveLimiter, n: int) -> list[int]:
    """n requests through the limiter; returns the statuses."""
    statuses: list[int] = []
    async with aiohttp.ClientSession() as session:

        async def one(i: int) -> None:
            await limiter.acquire()
            retry_after = None
            try:
                async with session.post(url + "/completions", json=BODY | {"seed": i}) as resp:
                    await resp.read()
                    statuses.append(resp.status)
                    if resp.headers.get("Retry-After"):
                        retry_after = float(resp.headers["Retry-After"])
            finally:
                outcome = "overload" if statuses and statuses[-1] in (429, 503) else "ok"
                limiter.release(outcome, retry_after=retry_after)

        await asyncio.gather(*(one(i) for i in range(n)))
    return statuses


def test_grows_to_the_cap_when_throughput_keeps_growing():
    with FakeOpenAIServer(FakeConfig(latency_s=0.05)) as server:
        limiter = AdaptiveLimiter(initial=2, max_limit=32)
        asyncio.run(drive(server.base_url, limiter, 600))
    assert limiter.limit == 32
    assert limiter.stats.max_in_flight <= 32
    assert server.max_in_flight <= 32
    assert limiter.stats.decreases == 0


def test_user_cap_is_never_exceeded_even_without_adaptation():
    with FakeOpenAIServer(FakeConfig(latency_s=0.02)) as server:
        limiter = AdaptiveLimiter(initial=5, max_limit=5, adaptive=False)
        statuses = asyncio.run(drive(server.base_url, limiter, 100))
    assert statuses.count(200) == 100
    assert server.max_in_flight <= 5 and limiter.limit == 5


def test_backs_off_when_the_server_is_saturated():
    # The server serves 6 at a time and answers 429 beyond that: the limit must come down from
    # the cap instead of hammering it, and most requests must still succeed on the first try.
    cfg = FakeConfig(latency_s=0.05, max_concurrency=6, retry_after_s=0.0)
    with FakeOpenAIServer(cfg) as server:
        limiter = AdaptiveLimiter(initial=32, max_limit=32)
        statuses = asyncio.run(drive(server.base_url, limiter, 400))
    assert limiter.stats.decreases > 0
    assert limiter.limit < 32
    assert statuses.count(429) < 200


def test_retry_after_pauses_every_new_request():
    async def scenario() -> tuple[float, float]:
        limiter = AdaptiveLimiter(initial=4, max_limit=4, adaptive=False)
        await limiter.acquire()
        limiter.release("overload", retry_after=0.3)
        start = time.monotonic()
        await limiter.acquire()  # must wait out the pause although a slot is free
        waited = time.monotonic() - start
        limiter.release("ok")
        return waited, limiter.stats.pauses

    waited, pauses = asyncio.run(scenario())
    assert waited >= 0.25
    assert pauses == 1


def test_waiters_are_served_in_order():
    async def scenario() -> list[int]:
        limiter = AdaptiveLimiter(initial=1, max_limit=1, adaptive=False)
        order: list[int] = []

        async def one(i: int) -> None:
            await limiter.acquire()
            order.append(i)
            await asyncio.sleep(0.001)
            limiter.release("ok")

        await asyncio.gather(*(one(i) for i in range(20)))
        return order

    assert asyncio.run(scenario()) == list(range(20))


def test_cancelled_waiter_does_not_leak_a_slot():
    async def scenario() -> int:
        limiter = AdaptiveLimiter(initial=1, max_limit=1, adaptive=False)
        await limiter.acquire()
        waiter = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0.01)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        limiter.release("ok")
        await asyncio.wait_for(limiter.acquire(), 1.0)  # the slot is free again
        return limiter.in_flight

    assert asyncio.run(scenario()) == 1


def test_stops_growing_when_throughput_stops_growing():
    # 4 slots that queue the rest (like llama-server --parallel 4). A short queue at the server
    # still helps (it hides the client's turnaround), a long one only adds latency: the limit must
    # settle below the cap instead of climbing to it.
    with FakeOpenAIServer(FakeConfig(latency_s=0.05, slots=4)) as server:
        limiter = AdaptiveLimiter(initial=2, max_limit=64)
        statuses = asyncio.run(drive(server.base_url, limiter, 400))
    assert statuses.count(200) == 400
    assert 4 <= limiter.limit < 64
    assert limiter.stats.decreases == 0


def simulate(server_slots: int, rounds: int) -> list[int]:
    """The limiter (8 to 64) on a simulated clock against a server that finishes at most
    `server_slots` requests per 100 ms round, oldest first, with a client that always has more
    to send. Returns the limit after each round."""
    from types import SimpleNamespace

    import synloom.backends.concurrency as concurrency

    clock = [0.0]
    real_time = concurrency.time
    concurrency.time = SimpleNamespace(monotonic=lambda: clock[0])  # type: ignore[assignment]

    async def scenario() -> list[int]:
        limiter = AdaptiveLimiter(initial=8, max_limit=64)
        held = 0

        async def feed() -> None:
            nonlocal held
            while True:
                await limiter.acquire()
                held += 1

        feeder = asyncio.create_task(feed())
        limits = []
        for _ in range(rounds):
            for _ in range(5):  # let the feeder take every free slot and block
                await asyncio.sleep(0)
            clock[0] += 0.1
            for _ in range(min(held, server_slots)):
                held -= 1
                limiter.release("ok", weight=10)
            limits.append(limiter.limit)
        feeder.cancel()
        return limits

    try:
        return asyncio.run(scenario())
    finally:
        concurrency.time = real_time  # type: ignore[assignment]


def test_slow_start_doubles_once_per_round_trip():
    # A server that keeps up: 8 -> 16 -> 32 -> 64 in three round trips. The window right after
    # each doubling still mixes requests sent under the old limit, but it already beats the best,
    # so it is growth evidence; judging only the window after it would take five.
    assert simulate(server_slots=1000, rounds=3) == [16, 32, 64]


def test_slow_start_still_stops_at_a_plateau():
    # A server that finishes 16 requests per round however many are queued: the mixed windows
    # must not carry the limit to the cap; it settles just above 16 (best limit x 1.25).
    limits = simulate(server_slots=16, rounds=20)
    assert limits[:2] == [16, 32]  # the last doubling bought nothing: the plateau ends slow start
    assert 20 in limits  # settled at 16 x 1.25, then probing one slot at a time
    assert max(limits) == 32 and limits[-1] < 32
