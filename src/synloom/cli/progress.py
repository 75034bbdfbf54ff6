"""A rich progress bar fed by the engine: samples/s, ETA, accepted / rejected / failed."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


class RichProgress:
    """Live on a terminal only: piped or logged stderr keeps just the one-line messages (an
    error, an interruption), not a final snapshot of the bar."""

    def __init__(self) -> None:
        console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[rate]:.2f} samples/s"),
            TextColumn("acc {task.fields[acc]} rej {task.fields[rej]} fail {task.fields[fail]}"),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._tasks: dict[str, int] = {}
        self._start: dict[str, tuple[float, int]] = {}

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)

    def update(self, stage: str, counts: dict[str, int], target: int) -> None:
        done = counts["accepted"] + counts["candidate"]
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(
                stage, total=target, rate=0.0, acc=0, rej=0, fail=0
            )
            self._start[stage] = (time.monotonic(), done)
        t0, d0 = self._start[stage]
        elapsed = time.monotonic() - t0
        rate = (done - d0) / elapsed if elapsed > 0 else 0.0
        self._progress.update(
            self._tasks[stage],
            completed=min(done, target),
            rate=rate,
            acc=done,
            rej=counts["rejected"],
            fail=counts["failed"],
        )
