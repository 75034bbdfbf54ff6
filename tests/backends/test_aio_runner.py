"""LoopThread.iterate hands items from the loop thread to the caller in batches: every item, in
order, then the producer's exception or its end; closing early cancels the producer."""

from __future__ import annotations

import asyncio
import threading

import pytest

from synloom.backends.aio_runner import LoopThread


def test_items_in_order_across_batches():
    async def produce():
        for i in range(500):
            yield i  # many items per loop iteration: one batch
            if i % 97 == 0:
                await asyncio.sleep(0.001)  # and some across iterations

    runner = LoopThread()
    try:
        assert list(runner.iterate(produce)) == list(range(500))
        assert list(runner.iterate(produce)) == list(range(500))  # the runner is reusable
    finally:
        runner.close()


def test_exception_arrives_after_the_items_before_it():
    async def produce():
        yield 1
        yield 2
        raise ValueError("boom")

    runner = LoopThread()
    got: list[int] = []
    try:
        with pytest.raises(ValueError, match="boom"):
            for item in runner.iterate(produce):
                got.append(item)
    finally:
        runner.close()
    assert got == [1, 2]


def test_closing_early_cancels_the_producer():
    cancelled = threading.Event()

    async def produce():
        try:
            i = 0
            while True:
                yield i
                i += 1
                await asyncio.sleep(0)
        finally:
            cancelled.set()

    runner = LoopThread()
    try:
        items = runner.iterate(produce)
        assert [next(items) for _ in range(3)] == [0, 1, 2]
        items.close()
        assert cancelled.wait(10)  # the cancellation reaches the loop thread soon after
    finally:
        runner.close()
