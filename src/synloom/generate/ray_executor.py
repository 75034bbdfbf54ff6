"""The Ray executor (`generation.executor: ray`): a round's batches run on Ray actors, each holding
its own backend built from the spec's `backend` section (a local model on the actor's device, or an
HTTP client); this process stays the run store's only writer.

What it must not change is the data. Each actor computes a batch exactly as the local path does
(`stage_run.batch_completions`: the same calls, prompts and per-request seeds), and the driver
records each batch in one transaction, in whatever order batches finish; dedup and the budget caps
run in plan order when the round is finalized (`finalize.py`), so the accepted set is the local
executor's. The round's requests are marked sent before any leaves, so a driver killed mid-round
leaves the unrecorded ones unfinished and a rerun sends exactly those again, with the same seeds.

An actor that dies (killed, out of memory, its node lost) fails the batches it held with
`RayActorError`: each goes back to the front of the queue and runs on another actor (a fresh one
replaces the dead), so it is recorded once, never lost; a batch that kills `MAX_ATTEMPTS` actors
stops the run with a one-line error instead of killing more.

Ray itself: "Ray: A Distributed Framework for Emerging AI Applications" (Moritz et al., OSDI 2018),
whose actors are stateful workers and whose `ray.wait` hands back results as they complete.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from itertools import groupby
from typing import TYPE_CHECKING, Any

from synloom.errors import BackendError
from synloom.extras import missing_extra
from synloom.generate.stage_run import batch_completions

if TYPE_CHECKING:
    from synloom.backends.base import Completion, GenerationParams
    from synloom.generate.stage_run import StageRun
    from synloom.store import PlannedRequest

MAX_ATTEMPTS = 3  # actors a batch may see die before the run stops
BATCHES_PER_ACTOR = 2  # queued on each actor, so it starts the next batch while one returns


def import_ray() -> Any:
    """The `ray` module, or the one-line error naming the extra that installs it."""
    try:
        import ray
    except ImportError as exc:
        raise (missing_extra(exc, "ray") or exc) from None
    return ray


class BatchWorker:
    """The actor: one backend, built once in the actor's process, computing whole batches."""

    def __init__(self, config: Any):
        from synloom.backends.registry import load_backend

        self.backend = load_backend(config)

    def run(self, batch: list[PlannedRequest], params: GenerationParams) -> list[Completion]:
        return batch_completions(self.backend, batch, params)

    def where(self) -> tuple[str, int]:
        """The Ray node and the process this actor runs in."""
        import ray

        return ray.get_runtime_context().get_node_id(), os.getpid()


class RayExecutor:
    """Sends batches to `actors` Ray actors (started on the first round that has requests, in the
    Ray cluster this process is connected to, else the one `RAY_ADDRESS` names, else a local one
    started here and shut down by `close`)."""

    def __init__(self, config: Any, actors: int = 2):
        self.ray = import_ray()  # a missing extra fails before the run directory is touched
        self.config, self.size = config, actors
        self.actors: list[Any] = []
        self.retried = 0  # batches sent again after their actor died
        self._cls: Any = None
        self._own_ray = False

    def _start(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            ray.init(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
            self._own_ray = True
        self._cls = ray.remote(BatchWorker)
        self.actors = [self._spawn() for _ in range(self.size)]

    def _spawn(self) -> Any:
        """A new actor: a CPU for a local model (and a GPU when the cluster has one and the model
        may use it); an HTTP client waits on the network, so it takes no CPU of its own. Actors
        spread over the cluster's nodes."""
        local = self.config.type == "local"
        gpus = self.ray.cluster_resources().get("GPU", 0) if local else 0
        use_gpu = local and gpus >= 1 and getattr(self.config, "device", "auto") != "cpu"
        options = {
            "num_cpus": 1 if local else 0,
            "num_gpus": 1 if use_gpu else 0,
            "scheduling_strategy": "SPREAD",
        }
        return self._cls.options(**options).remote(self.config)

    def send(self, run: StageRun, pending: list[PlannedRequest], params: GenerationParams) -> None:
        """Run `pending` (plan order) batch by batch on the actors and record each batch's
        outcomes as it comes back."""
        if self._cls is None:
            self._start()
        ray = self.ray
        batches = [list(group) for _, group in groupby(pending, key=lambda r: r.batch)]
        run.store.mark_sent([r.id for r in pending])
        queue = deque(range(len(batches)))
        attempts = [0] * len(batches)
        running: dict[Any, tuple[int, Any]] = {}  # result ref -> (batch index, actor)
        load = {id(a): 0 for a in self.actors}
        while queue or running:
            for actor in list(self.actors):
                while queue and load[id(actor)] < BATCHES_PER_ACTOR:
                    i = queue.popleft()
                    attempts[i] += 1
                    running[actor.run.remote(batches[i], params)] = (i, actor)
                    load[id(actor)] += 1
            (ref,), _ = ray.wait(list(running), num_returns=1)
            i, actor = running.pop(ref)
            load[id(actor)] = load.get(id(actor), 1) - 1
            try:
                completions = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                if attempts[i] >= MAX_ATTEMPTS:
                    raise BackendError(
                        f"a batch of {len(batches[i])} requests lost {attempts[i]} Ray actors"
                        f" in a row; last: {str(exc).splitlines()[0] if str(exc) else exc!r}"
                    ) from None
                self.retried += 1
                queue.appendleft(i)
                self._replace(actor, load)
                continue
            run.record(batches[i], completions)
            run._report()

    def _replace(self, dead: Any, load: dict[int, int]) -> None:
        """Swap a dead actor for a fresh one (once, however many of its batches failed)."""
        if any(a is dead for a in self.actors):
            self.actors = [a for a in self.actors if a is not dead]
            fresh = self._spawn()
            self.actors.append(fresh)
            load[id(fresh)] = 0

    def close(self) -> None:
        """Stop the actors, and Ray when this executor started it."""
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors, self._cls = [], None
        if self._own_ray:
            self.ray.shutdown()
            self._own_ray = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
