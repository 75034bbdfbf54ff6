"""Progress of long library operations, reported to whoever asked; the library never prints.

A caller hands a `Progress` (the CLI: rich bars on stderr, `synloom.cli.progress.StepBars`) to an
entry point (`score_run`, `evaluate_run`, `curate_run`), which installs it for the call with
`reporting(progress)`. Below it, any layer opens a `step(description, total, unit)` around a slow
loop and advances it as work gets done (embedding batches, LM scoring chunks, training steps,
curation chunks). With no `Progress` installed a step does nothing, so library users see nothing
unless they ask. The sink lives in a context variable: the layers in between need no extra
parameter, and this module, at the bottom of the layers, imports nothing of synloom.

Generation reports through its own `synloom.generate.ProgressSink` (counts per stage).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    """Receives the steps of an operation: `begin` returns a handle `advance` and `end` take.
    `total` None: the amount of work is not known in advance."""

    def begin(self, description: str, total: int | None, unit: str) -> Hashable: ...

    def advance(self, task: Hashable, n: int) -> None: ...

    def end(self, task: Hashable) -> None: ...


_SINK: ContextVar[Progress | None] = ContextVar("synloom_progress", default=None)


class Step:
    """One open step; `advance(n)` reports n more units of work done."""

    def __init__(self, sink: Progress | None, task: Hashable | None) -> None:
        self._sink, self._task = sink, task

    def advance(self, n: int = 1) -> None:
        if self._sink is not None and n:
            self._sink.advance(self._task, n)

    def note(self, text: str) -> None:
        """Show `text` beside the step (the running loss of a training), where the sink can:
        one with a `note(task, text)` method."""
        show = getattr(self._sink, "note", None)
        if show is not None:
            show(self._task, text)


@contextmanager
def reporting(progress: Progress | None) -> Iterator[None]:
    """Install `progress` for the steps opened inside (None: keep whatever is installed)."""
    if progress is None:
        yield
        return
    token = _SINK.set(progress)
    try:
        yield
    finally:
        _SINK.reset(token)


@contextmanager
def step(description: str, total: int | None = None, unit: str = "items") -> Iterator[Step]:
    """A step of the installed `Progress` (a no-op one when none is)."""
    sink = _SINK.get()
    if sink is None:
        yield Step(None, None)
        return
    task = sink.begin(description, total, unit)
    try:
        yield Step(sink, task)
    finally:
        sink.end(task)


def track(
    items: Iterable[T], description: str, total: int | None = None, unit: str = "items"
) -> Iterator[T]:
    """Yield `items`, advancing a step by one after each (total: `len(items)` when it has one)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with step(description, total, unit) as s:
        for item in items:
            yield item
            s.advance()


@contextmanager
def third_party_bars_off() -> Iterator[None]:
    """transformers' and huggingface_hub's own tqdm bars off while synloom loads a model in
    their hands (`Loading weights`, downloads), then as they were: synloom reports its progress
    through `step`, and a library user's own use of those packages is left alone."""
    switches = []
    try:
        from transformers.utils import logging as hf_logging

        switches.append(
            (hf_logging.is_progress_bar_enabled, hf_logging.disable_progress_bar,
             hf_logging.enable_progress_bar)
        )  # fmt: skip
    except ImportError:  # pragma: no cover - depends on the install
        pass
    try:
        from huggingface_hub import utils as hub_utils

        switches.append(
            (lambda: not hub_utils.are_progress_bars_disabled(), hub_utils.disable_progress_bars,
             hub_utils.enable_progress_bars)
        )  # fmt: skip
    except ImportError:  # pragma: no cover - depends on the install
        pass
    were_on = [is_on() for is_on, _, _ in switches]
    for (_, off, _), on in zip(switches, were_on, strict=True):
        if on:
            off()
    try:
        yield
    finally:
        for (_, _, turn_on), on in zip(switches, were_on, strict=True):
            if on:
                turn_on()
