"""Run a spec into a run directory: each stage (see `stage_run.StageRun`) plans a round, sends its
unfinished batches, finalizes, repeats.

Dedup and budget caps run in plan order when a round is finalized, so the accepted set does not
depend on the order batches finish in.

A rerun with a larger `samples_per_label` tops the run up (`manifest.py`): the stored rounds stay,
new rounds generate the difference, and `max_rounds` counts the new budget's rounds only.

A stage that cannot meet its budget stops instead of running away: at the request cap
(`max_requests_factor` x budget), after a round that accepted nothing, when the first requests of
a round all failed alike for good, or after `max_rounds`. The summary says which (`stop_reason`),
and `raise_if_incomplete` turns a shortfall into `IncompleteRunError` (exit 3).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.generate.manifest import (
    RecordedBackendHandle,
    budget_history,
    check_or_write_manifest,
)
from synloom.generate.stage_run import BatchExecutor, ProgressSink, StageRun, params_of
from synloom.generate.stopping import Stop, one_line
from synloom.recipes import SAMPLE_STAGE, recipe_for
from synloom.store import RunStore

if TYPE_CHECKING:
    from synloom.backends.base import Backend
    from synloom.spec import TaskSpec

__all__ = ["GenerationSummary", "ProgressSink", "StageRun", "params_of", "run_generation"]


@dataclass(frozen=True)
class GenerationSummary:
    """The sample stage's counts, and why it stopped short of its budget (`stop_reason`, None when
    every label got `budget` samples)."""

    run_dir: Path
    counts: dict[str, int]
    label_counts: dict[str, int]
    rejection_reasons: dict[str, int]
    labels: tuple[str, ...] = ()
    budget: int = 0
    stop_reason: str | None = None
    resumable: bool = False
    budgets: tuple[int, ...] = ()  # every budget the run had, oldest first (more after a top-up)
    # the stages before the samples (an instruction run's instructions, say): their accepted
    # counts and rejection reasons, and the one that ended the run early (None: none did)
    stage_counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    stopped_stage: str | None = None

    @property
    def shortfall(self) -> dict[str, int]:
        """Samples still missing per label (labels that met the budget are left out)."""
        missing = {lab: self.budget - self.label_counts.get(lab, 0) for lab in self.labels}
        return {lab: n for lab, n in missing.items() if n > 0}

    @property
    def complete(self) -> bool:
        """Every label has its budget, no earlier stage ended the run, and nothing is left for
        a rerun (a run without labels, such as an instruction run, is judged by the last two)."""
        return not self.shortfall and self.stopped_stage is None and not self.resumable

    def incomplete_message(self) -> str:
        """One line: the shortfall per label, why the run stopped, and whether a rerun helps."""
        have = ", ".join(
            f"{lab} {self.label_counts.get(lab, 0)}/{self.budget}" for lab in self.shortfall
        )
        hint = "; rerun the same command to resume" if self.resumable else ""
        why = one_line(self.stop_reason or "stopped early", limit=600)
        if not have:
            return f"{self.run_dir}: run not finished: {why}{hint}"
        return f"{self.run_dir}: budget not met ({have}): {why}{hint}"

    def raise_if_incomplete(self) -> None:
        if not self.complete:
            from synloom.errors import IncompleteRunError

            raise IncompleteRunError(self.incomplete_message())


def run_generation(
    spec: TaskSpec,
    run_dir: str | Path,
    *,
    backend: Backend | None = None,
    progress: ProgressSink | None = None,
    executor: BatchExecutor | None = None,
) -> GenerationSummary:
    """Generate (or resume generating) `spec` into `run_dir`. Without `backend` the spec's is
    built only if a request must be sent, and closed at the end; a given one is left open. So is
    a given `executor`; without one, `generation.executor` says where batches run."""
    with _executor(spec, executor) as ex, RunStore(run_dir, create=True) as store:
        check_or_write_manifest(store, spec)
        recipe = recipe_for(spec)
        stop: Stop | None = None
        stopped: str | None = None
        earlier: dict[str, dict[str, Any]] = {}
        with RecordedBackendHandle(spec.backend, backend, store) as handle:
            for stage in recipe.stages():
                stop = StageRun(spec, store, stage, recipe, handle, progress, ex).run()
                if stage.name != SAMPLE_STAGE:
                    earlier[stage.name] = {
                        "accepted": store.counts(stage.name)["accepted"],
                        "rejection_reasons": store.rejection_reasons(stage.name),
                    }
                # a stage before the samples that stopped short ends the run when a rerun would
                # finish it, or when it left the later stages nothing to build on
                if (
                    stage.name != SAMPLE_STAGE
                    and stop is not None
                    and (stop.resumable or not store.accepted(stage.name))
                ):
                    stop = Stop(f"{stage.name} stage: {stop.reason}", stop.resumable)
                    stopped = stage.name
                    break
        return GenerationSummary(
            Path(run_dir),
            store.counts(SAMPLE_STAGE),
            store.label_counts(SAMPLE_STAGE),
            store.rejection_reasons(SAMPLE_STAGE),
            labels=tuple(spec.label_names),
            budget=spec.generation.samples_per_label,
            stop_reason=stop.reason if stop else None,
            resumable=bool(stop and stop.resumable),
            budgets=tuple(b.samples_per_label for b in budget_history(store)),
            stage_counts=earlier,
            stopped_stage=stopped,
        )


def _executor(
    spec: TaskSpec, given: BatchExecutor | None
) -> AbstractContextManager[BatchExecutor | None]:
    """`given` (left open), None for `executor: local` (batches sent from this process), or the
    Ray executor, closed at the end (imported only then: `ray` is an optional extra)."""
    if given is not None or spec.generation.executor == "local":
        return nullcontext(given)
    from synloom.generate.ray_executor import RayExecutor

    return RayExecutor(spec.backend, spec.generation.ray_actors)
