"""Run a spec into a run directory: plan a round, send its unfinished batches, finalize, repeat.

Each batch's outcome is one SQLite transaction, so `kill -9` loses at most the batch in flight,
which a rerun sends again with the same seed. Dedup and budget caps run in plan order when a
round is finalized, so the accepted set does not depend on the order batches finish in.

A stage that cannot meet its budget stops instead of running away: at the request cap
(`max_requests_factor` x budget), after a round that accepted nothing, when the first requests of
a round all failed alike for good, or after `max_rounds`. The summary says which (`stop_reason`),
and `raise_if_incomplete` turns a shortfall into `IncompleteRunError` (exit 3).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from synloom.generate.finalize import finalize_round
from synloom.generate.manifest import check_or_write_manifest
from synloom.generate.plan import (
    CONTEXT_STAGE,
    MAX_ROUND_REQUESTS,
    SAMPLE_STAGE,
    StagePlan,
    cap_counts,
    plan_round,
    request_cap,
    requests_needed,
    stage_plans,
)
from synloom.generate.stopping import Stop, one_line, round_size, round_stop
from synloom.prompts import load_contexts, parse_completion
from synloom.spec.task import TaskKind
from synloom.store import PlannedRequest, RunStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from synloom.backends.base import Backend, Completion, GenerationParams
    from synloom.spec import TaskSpec


STREAM_FLUSH_ROWS = 64  # streamed outcomes per store transaction ...
STREAM_FLUSH_S = 0.5  # ... or per half second, whichever comes first


class ProgressSink(Protocol):
    def update(self, stage: str, counts: dict[str, int], target: int) -> None: ...


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

    @property
    def shortfall(self) -> dict[str, int]:
        """Samples still missing per label (labels that met the budget are left out)."""
        missing = {lab: self.budget - self.label_counts.get(lab, 0) for lab in self.labels}
        return {lab: n for lab, n in missing.items() if n > 0}

    @property
    def complete(self) -> bool:
        return not self.shortfall

    def incomplete_message(self) -> str:
        """One line: the shortfall per label, why the run stopped, and whether a rerun helps."""
        have = ", ".join(
            f"{lab} {self.label_counts.get(lab, 0)}/{self.budget}" for lab in self.shortfall
        )
        hint = "; rerun the same command to resume" if self.resumable else ""
        why = one_line(self.stop_reason or "stopped early", limit=600)
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
    backend_factory: Callable[[], Backend] | None = None,
    progress: ProgressSink | None = None,
) -> GenerationSummary:
    """Generate (or resume generating) `spec` into `run_dir`. The backend is built only if needed."""
    from synloom.backends.registry import load_backend

    lazy = _LazyBackend(backend, backend_factory or (lambda: load_backend(spec.backend)))
    with RunStore(run_dir, create=True) as store:
        check_or_write_manifest(store, spec)
        contexts = load_contexts(spec)
        stop: Stop | None = None
        try:
            for stage in stage_plans(spec):
                stop = _run_stage(spec, store, stage, contexts, lazy, progress)
                if stage.name == CONTEXT_STAGE:
                    contexts = [s.text for s in store.accepted(CONTEXT_STAGE)]
                    if stop is not None and (stop.resumable or not contexts):
                        # a rerun finishes the context stage, or there is nothing to pair with
                        stop = Stop(f"context stage: {stop.reason}", stop.resumable)
                        break
        finally:
            lazy.close_if_owned()
        return GenerationSummary(
            Path(run_dir),
            store.counts(SAMPLE_STAGE),
            store.label_counts(SAMPLE_STAGE),
            store.rejection_reasons(SAMPLE_STAGE),
            labels=tuple(spec.label_names),
            budget=spec.generation.samples_per_label,
            stop_reason=stop.reason if stop else None,
            resumable=bool(stop and stop.resumable),
        )


class _LazyBackend:
    def __init__(self, backend: Backend | None, factory: Callable[[], Backend]):
        self._backend = backend
        self._factory = factory
        self._owned = backend is None

    def get(self) -> Backend:
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    def close_if_owned(self) -> None:
        if self._owned and self._backend is not None:
            self._backend.close()


def _run_stage(spec, store, stage: StagePlan, contexts, lazy, progress) -> Stop | None:
    """Plan, send and finalize rounds until the budget is met (None) or the stage must stop.

    Each round plans at most `MAX_ROUND_REQUESTS` (memory stays O(round) for any budget); rounds
    cut by that maximum do not count towards `max_rounds`. All rounds together plan at most
    `request_cap` requests."""
    if stage.name == SAMPLE_STAGE and contexts is not None and not contexts:
        from synloom.errors import SynloomError

        raise SynloomError("the context stage produced no usable contexts; raise its count")
    gen = spec.generation
    target = stage.budget * len(stage.labels)
    cap = request_cap(spec, stage)
    total = full_rounds = rnd = 0
    while True:
        planned, finalized = store.round_state(stage.name, rnd)
        if not planned:
            stats = store.label_stats(stage.name, stage.labels)
            counts = {
                label: requests_needed(stage.budget - acc, acc, done, gen.oversample)
                for label, (acc, done) in stats.items()
            }
            if not any(counts.values()):
                return None
            if full_rounds >= gen.max_rounds:
                return Stop(f"generation.max_rounds ({gen.max_rounds}) reached")
            if total >= cap:
                return Stop(
                    f"request cap reached: {total:,} requests planned (generation."
                    f"max_requests_factor {gen.max_requests_factor:g} x {target:,} samples);"
                    f" check the rejection reasons, or raise the factor in a new run directory"
                )
            counts = cap_counts(counts, stage.labels, min(cap - total, MAX_ROUND_REQUESTS))
            lazy.get()  # a server that cannot serve fails here, before anything is planned
            store.add_round(stage.name, rnd, plan_round(spec, stage, rnd, counts, contexts))
        if not finalized:
            stop = _send_round(spec, store, stage, rnd, lazy, progress, target)
            if stop is not None:
                return stop
            finalize_round(spec, store, stage, rnd)
            if progress is not None:
                progress.update(stage.name, store.counts(stage.name), target)
        size = round_size(store, stage.name, rnd)
        total += size
        full_rounds += size < MAX_ROUND_REQUESTS
        # a round whose every request failed stops this command only: failures are transient
        # (a rerun plans the next round), while a round that rejected everything stops for good
        stop = round_stop(store, stage.name, rnd, failures_stop=not finalized)
        if stop is not None:
            return stop
        rnd += 1


def _send_round(spec, store, stage, rnd, lazy, progress, target) -> Stop | None:
    """Send a round's unfinished requests; a Stop when the backend gave up on a shared failure."""
    pending = store.requests(stage.name, rnd, status="unfinished")
    if not pending:
        return None
    backend = lazy.get()
    params = params_of(pending[0])
    is_pair = spec.task.kind == TaskKind.TEXT_PAIR_CLASSIFICATION and stage.name == SAMPLE_STAGE
    if progress is not None:
        progress.update(stage.name, store.counts(stage.name), target)
    if hasattr(backend, "stream"):  # HTTP backends: the whole round in flight, see _stream_round
        from synloom.backends.base import SharedFailure

        try:
            _stream_round(store, stage, pending, backend, params, is_pair, progress, target)
        except SharedFailure as exc:  # the rest of the round stays unfinished for a rerun
            return Stop(one_line(str(exc)), resumable=True)
        return None
    for _, group in groupby(pending, key=lambda r: r.batch):
        batch = list(group)
        store.mark_sent([r.id for r in batch])
        completions = backend.generate([r.prompt for r in batch], params, [r.seed for r in batch])
        record_batch(store, stage, batch, completions, is_pair)
        if progress is not None:
            progress.update(stage.name, store.counts(stage.name), target)
    return None


def _stream_round(store, stage, pending, backend, params, is_pair, progress, target) -> None:
    """Send a round's unfinished requests through `backend.stream`, which keeps as many in flight
    as the server sustains, and record each outcome as it arrives (committed in small groups so
    `kill -9` loses at most the last half second; a rerun resends only unfinished requests)."""
    store.mark_sent([r.id for r in pending])
    results = backend.stream([r.prompt for r in pending], params, [r.seed for r in pending])
    buf: list[tuple[PlannedRequest, Completion]] = []
    last = time.monotonic()

    def flush() -> None:
        if buf:
            record_batch(store, stage, [r for r, _ in buf], [c for _, c in buf], is_pair)
            buf.clear()
            if progress is not None:
                progress.update(stage.name, store.counts(stage.name), target)

    try:
        for i, completion in results:
            buf.append((pending[i], completion))
            if len(buf) >= STREAM_FLUSH_ROWS or time.monotonic() - last >= STREAM_FLUSH_S:
                flush()
                last = time.monotonic()
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops (and cancels) whatever the backend still has in flight
        flush()


def record_batch(
    store: RunStore,
    stage: StagePlan,
    batch: list[PlannedRequest],
    completions: list[Completion],
    is_pair: bool,
) -> None:
    """Parse and store one batch's outcomes in one transaction (failed requests keep their error)."""
    with store.transaction():
        for req, comp in zip(batch, completions, strict=True):
            if comp.failed:
                store.record_failure(req.id, comp.error or "unknown error")
                continue
            parsed = parse_completion(
                comp.text,
                comp.finish_reason,
                min_words=stage.min_words,
                max_words=stage.max_words,
                context=req.context,
            )
            out = {
                "raw_text": comp.raw_text or comp.text,
                "completion": comp.text,
                "finish_reason": comp.finish_reason,
                "n_tokens": comp.n_tokens,
            }
            if parsed.ok:
                text, text_b = (req.context, parsed.text) if is_pair else (parsed.text, None)
                out |= {"status": "candidate", "text": text, "text_b": text_b}
            else:
                out |= {"status": "rejected", "reason": parsed.reason, "detail": parsed.detail}
            store.record_output(req.id, out)


def params_of(request: PlannedRequest) -> GenerationParams:
    from synloom.backends.base import GenerationParams

    return GenerationParams(**{**request.params, "stop": tuple(request.params["stop"])})
