"""A private asyncio event loop on a daemon thread, so synchronous callers (the engine) can drive
async HTTP clients and receive results one by one as they finish."""

from __future__ import annotations

import asyncio
import queue
import threading
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
        cancels the producer."""
        out: queue.Queue[Any] = queue.Queue()

        async def pump() -> None:
            try:
                async for item in make():
                    out.put(item)
            except BaseException as exc:  # handed to the consumer, cancellation included
                out.put(_Raised(exc))
                return
            out.put(_DONE)

        fut = asyncio.run_coroutine_threadsafe(pump(), self.loop)
        try:
            while True:
                item = out.get()
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
