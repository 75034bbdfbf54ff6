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
