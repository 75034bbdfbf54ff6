"""A private asyncio event loop on a daemon thread, so synchronous callers (the engine) can drive
async HTTP clients and receive results one by one as they finish."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Generator

_DONE = object()


class LoopThread:
    def __init__(self, name: str = "synloom-http"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run `coro` on the loop and wait for its result (exceptions propagate)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()  # type: ignore[arg-type]

    def iterate(self, make: Callable[[], AsyncIterator[Any]]) -> Generator[Any, None, None]:
        """Items of the async iterator `make()` as they are produced; closing the generator early
        cancels the producer. Items are handed over in batches: the loop wakes the consumer once
        per loop iteration, not once per item (3,000 requests at 64 in flight: ~450 wake-ups
        instead of 3,000, each a GIL hand-over between the two threads)."""
        items: deque[Any] = deque()  # append/popleft are thread-safe
        ready = threading.Event()
        loop = self.loop
        flush_pending = False  # only touched on the loop thread

        def flush() -> None:
            nonlocal flush_pending
            flush_pending = False
            ready.set()

        def put(item: Any) -> None:
            nonlocal flush_pending
            items.append(item)
            if not flush_pending:  # one wake-up for everything produced in this loop iteration
                flush_pending = True
                loop.call_soon(flush)

        async def pump() -> None:
            try:
                async for item in make():
                    put(item)
            except BaseException as exc:  # handed to the consumer, cancellation included
                put(_Raised(exc))
                return
            put(_DONE)

        fut = asyncio.run_coroutine_threadsafe(pump(), loop)
        try:
            while True:
                ready.wait()
                ready.clear()  # before draining: an item appended after this sets it again
                while items:
                    item = items.popleft()
                    if item is _DONE:
                        return
                    if isinstance(item, _Raised):
                        raise item.exc
                    yield item
        finally:
            if not fut.done():
                fut.cancel()
                try:
                    fut.result(timeout=30)
                except BaseException:
                    pass

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class _Raised:
    def __init__(self, exc: BaseException):
        self.exc = exc
