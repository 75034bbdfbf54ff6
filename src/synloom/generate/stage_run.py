"""One stage of a run (contexts or samples): plan a round, send its unfinished requests, record
each outcome as a typed `Output`, finalize, repeat until the budget is met or the stage must stop.

Each batch's outcome is one SQLite transaction, so `kill -9` loses at most the batch in flight,
which a rerun sends again with the same seed. A `StreamingBackend` gets the whole round at once
and its outcomes are committed in small groups as they arrive. A `BatchExecutor` (the Ray
executor, `generation.executor: ray`) sends the batches elsewhere; this process still records them.
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import groupby
from typing import TYPE_CHECKING, Protocol

from synloom.backends.base import GenerationParams, SharedFailure, StreamingBackend
from synloom.generate.finalize import finalize_round
from synloom.generate.manifest import budget_start
from synloom.generate.plan import MAX_ROUND_REQUESTS, planned_round, request_cap, round_state
from synloom.generate.shared_prompts import shared_calls
from synloom.generate.stopping import Stop, one_line, round_size, round_stop
from synloom.recipes import SAMPLE_STAGE
from synloom.store import Output, OutputStatus, PlannedRequest, RunStore

if TYPE_CHECKING:
    from synloom.backends.base import Backend, Completion
    from synloom.backends.registry import BackendHandle
    from synloom.recipes import Recipe, StagePlan
    from synloom.spec import TaskSpec

STREAM_FLUSH_ROWS = 64  # streamed outcomes per store transaction ...
STREAM_FLUSH_S = 0.5  # ... or per half second, whichever comes first


class ProgressSink(Protocol):
    def update(self, stage: str, counts: dict[str, int], target: int) -> None: ...


class BatchExecutor(Protocol):
    """Runs a round's batches somewhere else (`generate/ray_executor.py`): computes each batch's
    completions (`batch_completions`) and hands them back to `StageRun.record`, here."""

    def send(
        self, run: StageRun, pending: list[PlannedRequest], params: GenerationParams
    ) -> None: ...


@dataclass
class StageRun:
    """What one stage's loop needs: the spec, the store, the stage's plan, the recipe that plans
    its rounds, the backend (built on first use) and progress."""

    spec: TaskSpec
    store: RunStore
    stage: StagePlan
    recipe: Recipe
    backend: BackendHandle
    progress: ProgressSink | None = None
    executor: BatchExecutor | None = None  # None: batches are sent from this process

    @property
    def target(self) -> int:
        """Accepted samples the stage wants, all labels together."""
        return self.stage.budget * len(self.stage.labels)

    def run(self) -> Stop | None:
        """Plan, send and finalize rounds until the budget is met (None) or the stage must stop.

        Each round plans at most `MAX_ROUND_REQUESTS` (memory stays O(round) for any budget);
        rounds cut by that maximum do not count towards `max_rounds`. All rounds together plan at
        most `request_cap` requests."""
        name = self.stage.name
        cap = request_cap(self.spec, self.stage)
        total = full_rounds = rnd = 0
        # a topped-up run: `max_rounds` counts the rounds of the current budget only
        first = budget_start(self.store) if name == SAMPLE_STAGE else 0
        while True:
            planned, finalized = self.store.round_state(name, rnd)
            if not planned:
                if self._budget_met():
                    return None
                stop = self._limit_stop(full_rounds, total, cap)
                if stop is not None:
                    return stop
                self.backend.get()  # a server that cannot serve fails here, before any planning
                limit = min(cap - total, MAX_ROUND_REQUESTS)
                state = round_state(self.spec, self.store, self.stage, rnd, limit, first)
                plan = planned_round(self.recipe, state)
                if not plan.requests:
                    return Stop(f"recipe {self.spec.recipe.type!r} planned no more requests")
                self.store.add_round(name, rnd, plan.requests, plan.annotations)
            if not finalized:
                stop = self.send_round(rnd)
                if stop is not None:
                    return stop
                check = self.recipe.candidate_filter(self.stage, self.store)
                finalize_round(self.spec, self.store, self.stage, rnd, check)
                self._report()
            size = round_size(self.store, name, rnd)
            total += size
            full_rounds += size < MAX_ROUND_REQUESTS and rnd >= first
            # a round whose every request failed stops this command only: failures are transient
            # (a rerun plans the next round), while a round that rejected everything stops for good
            stop = round_stop(self.store, name, rnd, failures_stop=not finalized)
            if stop is not None:
                return stop
            rnd += 1

    def _budget_met(self) -> bool:
        """Whether every label has its budget of accepted outputs in finalized rounds."""
        stats = self.store.label_stats(self.stage.name, self.stage.labels)
        return all(acc >= self.stage.budget for acc, _ in stats.values())

    def _limit_stop(self, full_rounds: int, total: int, cap: int) -> Stop | None:
        """A Stop when `max_rounds` or the request cap forbids another round."""
        gen = self.spec.generation
        if full_rounds >= gen.max_rounds:
            return Stop(f"generation.max_rounds ({gen.max_rounds}) reached")
        if total >= cap:
            return Stop(
                f"request cap reached: {total:,} requests planned (generation."
                f"max_requests_factor {gen.max_requests_factor:g} x {self.target:,} samples);"
                f" check the rejection reasons, or raise the factor in a new run directory"
            )
        return None

    def send_round(self, rnd: int) -> Stop | None:
        """Send a round's unfinished requests; a Stop when the backend gave up on a shared
        failure (the rest of the round stays unfinished for a rerun)."""
        pending = self.store.requests(self.stage.name, rnd, status="unfinished")
        if not pending:
            return None
        backend = self.backend.get()
        params = params_of(pending[0])
        self._report()
        if self.executor is not None:
            self.executor.send(self, pending, params)
            return None
        if isinstance(backend, StreamingBackend):
            try:
                self._stream(backend, pending, params)
            except SharedFailure as exc:
                return Stop(one_line(str(exc)), resumable=True)
            return None
        self._send_batches(backend, pending, params)
        return None

    def _send_batches(
        self, backend: Backend, pending: list[PlannedRequest], params: GenerationParams
    ) -> None:
        """One store transaction per planned batch, and one `generate` call per size of the
        prompt groups in it (`shared_calls`: a single call unless samples share prompts)."""
        for _, group in groupby(pending, key=lambda r: r.batch):
            batch = list(group)
            self.store.mark_sent([r.id for r in batch])
            self.record(batch, batch_completions(backend, batch, params))
            self._report()

    def _stream(
        self, backend: StreamingBackend, pending: list[PlannedRequest], params: GenerationParams
    ) -> None:
        """Send the requests through `backend.stream`, which keeps as many in flight as the
        server sustains, and record each outcome as it arrives (committed in small groups so
        `kill -9` loses at most the last half second; a rerun resends only unfinished ones). The
        samples of one prompt are committed together once all of them arrived."""
        self.store.mark_sent([r.id for r in pending])
        buf: list[tuple[PlannedRequest, Completion]] = []
        last = time.monotonic()

        def flush() -> None:
            if buf:
                self.record([r for r, _ in buf], [c for _, c in buf])
                buf.clear()
                self._report()

        try:
            for call in shared_calls(pending):
                members, n = call.members, call.n
                sent = call.params(with_request_conditions(params, call.leaders))
                arrived = [0] * len(call.groups)
                open_groups = 0
                # leaving the block closes the stream: it stops (and cancels) what is in flight
                prompts = [r.prompt for r in call.leaders]
                with closing(backend.stream(prompts, sent, call.seeds)) as results:
                    for i, completion in results:
                        buf.append((members[i], completion))
                        arrived[i // n] += 1
                        open_groups += (arrived[i // n] == 1) - (arrived[i // n] == n)
                        due = (
                            len(buf) >= STREAM_FLUSH_ROWS
                            or time.monotonic() - last >= STREAM_FLUSH_S
                        )
                        if due and not open_groups:
                            flush()
                            last = time.monotonic()
        finally:
            flush()

    def record(self, batch: list[PlannedRequest], completions: list[Completion]) -> None:
        """Store a batch's outcomes in one transaction (failed requests keep their error)."""
        with self.store.transaction():
            for req, comp in zip(batch, completions, strict=True):
                if comp.failed:
                    self.store.record_failure(req.id, comp.error or "unknown error")
                else:
                    self.store.record_output(req.id, self.parse(req, comp))

    def parse(self, req: PlannedRequest, comp: Completion) -> Output:
        """A candidate with its text(s), or rejected with the reason of the recipe's parser
        (`Recipe.parse`); raw text kept."""
        parsed = self.recipe.parse(self.stage, req, comp.text, comp.finish_reason)
        raw = {
            "raw_text": comp.raw_text or comp.text,
            "completion": comp.text,
            "finish_reason": comp.finish_reason,
            "n_tokens": comp.n_tokens,
        }
        if not parsed.ok:
            return Output(
                **raw, status=OutputStatus.REJECTED, reason=parsed.reason, detail=parsed.detail
            )
        text, text_b = (req.context, parsed.text) if self.stage.pair else (parsed.text, None)
        return Output(**raw, status=OutputStatus.CANDIDATE, text=text, text_b=text_b)

    def _report(self) -> None:
        if self.progress is not None:
            self.progress.update(self.stage.name, self.store.counts(self.stage.name), self.target)


def batch_completions(
    backend: Backend, batch: list[PlannedRequest], params: GenerationParams
) -> list[Completion]:
    """One planned batch's completions, in its order: one `generate` call per size of the prompt
    groups in it (`shared_calls`: a single call unless samples share prompts)."""
    done: dict[str, Completion] = {}
    for call in shared_calls(batch):
        sent = call.params(with_request_conditions(params, call.leaders))
        got = backend.generate([r.prompt for r in call.leaders], sent, call.seeds)
        done.update((r.id, c) for r, c in call.completions(got))
    return [done[r.id] for r in batch]


def params_of(request: PlannedRequest) -> GenerationParams:
    """The decoding settings a planned request was stored with."""
    return GenerationParams(**{**request.params, "stop": tuple(request.params["stop"])})


def with_request_conditions(
    params: GenerationParams, batch: list[PlannedRequest]
) -> GenerationParams:
    """`params` with each request's label and attribute values (its meta's `attributes`) and,
    when they ask for self-debiasing, its other-label prompts (its meta's `counter_prompts`)."""
    labels = tuple(r.label for r in batch)
    attributes = tuple(tuple(sorted((r.meta.get("attributes") or {}).items())) for r in batch)
    if params.self_debias_decay is None:
        return replace(params, labels=labels, attributes=attributes)
    counter = tuple(tuple(r.meta.get("counter_prompts", ())) for r in batch)
    return replace(params, counter_prompts=counter, labels=labels, attributes=attributes)
