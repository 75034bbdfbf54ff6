"""Rich progress bars on stderr: `RichProgress` fed by the generation engine (samples/s, ETA,
accepted / rejected / failed) and `StepBars`, the `synloom.progress.Progress` every other long
command reports its steps to (units/s, elapsed, ETA).

Both draw only when `synloom.cli.output.progress_console` says so: on a terminal, or forced with
`SYNLOOM_PROGRESS=1`, never under `--quiet`. Piped or logged stderr keeps just the one-line
messages (an error, an interruption), not a final snapshot of the bars.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Hashable

from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from synloom.cli.output import progress_console


def _progress(*columns: ProgressColumn | TextColumn) -> Progress:
    console, enabled = progress_console()
    return Progress(
        *columns,
        console=console,
        disable=not enabled,
        refresh_per_second=5,
        # lines printed to a terminal stdout go above the bars; a piped stdout stays untouched
        redirect_stdout=sys.stdout.isatty(),
        redirect_stderr=True,
    )


class RichProgress:
    """The generation bars, one per stage."""

    def __init__(self) -> None:
        self._progress = _progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[rate]:.2f} samples/s"),
            TextColumn("acc {task.fields[acc]} rej {task.fields[rej]} fail {task.fields[fail]}"),
            TimeRemainingColumn(),
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


class _Count(ProgressColumn):
    """`12/40 texts` (blank for a step that counts nothing)."""

    def render(self, task: Task) -> Text:
        if not task.fields.get("counted"):
            return Text("")
        unit = task.fields.get("unit", "")
        done = int(task.completed)
        return Text(f"{done}/{int(task.total)} {unit}" if task.total else f"{done} {unit}")


class _Rate(ProgressColumn):
    """Units (those of the count column) per second over the step so far."""

    def render(self, task: Task) -> Text:
        if not task.fields.get("counted"):
            return Text("")
        elapsed = task.elapsed or 0.0
        if elapsed <= 0 or not task.completed:
            return Text("-/s", style="progress.data.speed")
        return Text(f"{task.completed / elapsed:.2f}/s", style="progress.data.speed")


class _Eta(ProgressColumn):
    """`ETA 0:01:05` from the step's own rate (`ETA -:--:--` until it is known)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if not task.fields.get("counted"):
            return Text("")
        if task.finished:
            return Text("done", style="progress.remaining")
        if task.total is None or not task.completed or elapsed <= 0:
            return Text("ETA -:--:--", style="progress.remaining")
        left = max(task.total - task.completed, 0) * elapsed / task.completed
        minutes, seconds = divmod(round(left), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"ETA {hours}:{minutes:02d}:{seconds:02d}", style="progress.remaining")


class StepBars:
    """A `synloom.progress.Progress` drawn with rich: one bar per open step. A step opened
    inside another (an embedding inside a metric) disappears when it ends; an outer one stays,
    complete, so the finished display sums up where the time went."""

    def __init__(self) -> None:
        self._progress = _progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(bar_width=24),
            _Count(table_column=Column(no_wrap=True)),
            _Rate(table_column=Column(no_wrap=True)),
            TimeElapsedColumn(table_column=Column(no_wrap=True)),
            _Eta(table_column=Column(no_wrap=True)),
        )
        self._open: list[Hashable] = []
        self._names: dict[Hashable, str] = {}

    def __enter__(self) -> StepBars:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)

    def begin(self, description: str, total: int | None, unit: str) -> Hashable:
        indent = "  " * len(self._open)
        task = self._progress.add_task(
            indent + description, total=total, unit=unit, counted=total is not None
        )
        self._open.append(task)
        self._names[task] = indent + description
        self._progress.refresh()  # a frame at every change of step, whatever the refresh rate
        return task

    def note(self, task: Hashable, text: str) -> None:
        """`description · text` (a training step's running loss)."""
        self._progress.update(task, description=f"{self._names.get(task, '')} · {text}")  # type: ignore[arg-type]

    def advance(self, task: Hashable, n: int) -> None:
        self._progress.advance(task, n)  # type: ignore[arg-type]

    def end(self, task: Hashable) -> None:
        if task in self._open:
            self._open.remove(task)
        if self._open:  # a nested step: make room
            self._progress.remove_task(task)  # type: ignore[arg-type]
            self._progress.refresh()
            return
        state = self._progress.tasks[self._progress.task_ids.index(task)]  # type: ignore[arg-type]
        if not state.fields.get("counted"):  # a full bar for a step that is over
            self._progress.update(task, total=1, completed=1)  # type: ignore[arg-type]
        self._progress.stop_task(task)  # type: ignore[arg-type]
        self._progress.refresh()
