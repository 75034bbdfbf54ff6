"""`curate_run`: score, decide and store one curation of a run, resumably.

Under the run's writer lock: the settings are recorded first (a rerun with equal settings
resumes, other settings under the same name are refused unless replaced); each method scores the
survivors of the methods before it and its scores are stored as they come (per-sample methods in
fixed chunks, so a killed curation resumes mid-method and scores the same chunks); then the
decisions (kept or dropped with the reason, and a weight) are written with the summary in one
transaction. Samples are never changed: the decisions sit beside them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synloom.curate.data import CurationData
from synloom.curate.pipeline import Pipeline, SizeTarget, StepResult
from synloom.curate.ray_scoring import runs_on_ray, score_chunks_on_ray
from synloom.curate.reuse import reuse_scores, taken_summary
from synloom.curate.settings import CurationRequest, stored_settings
from synloom.errors import SynloomError
from synloom.progress import Progress, reporting
from synloom.progress import step as progress_step
from synloom.quality.ray_data import RayEmbedder, check_executor, executor_session

if TYPE_CHECKING:
    from synloom.backends.base import Backend
    from synloom.curate.base import CurationMethod, MethodOptions
    from synloom.spec import TaskSpec
    from synloom.store import RunStore
    from synloom.train.data import LabeledData

DEFAULT_CHUNK = 256


@dataclass(frozen=True)
class CurationResult:
    name: str
    resumed: bool  # the settings were stored already (a rerun)
    summary: dict[str, Any]


def curate_run(
    run_dir: str | Path,
    request: CurationRequest,
    *,
    seed_data_path: str | Path | None = None,
    replace: bool = False,
    reuse: bool = True,
    generator: Backend | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    say: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    executor: str = "local",
    ray_workers: int = 2,
) -> CurationResult:
    """Curate the accepted samples of `run_dir` as `request` says; see the module docstring.
    `say` gets a line per finished method; `progress` a step per method, advanced per chunk;
    `executor="ray"`: embeddings and model-free per-sample chunks on Ray Data (`ray_scoring`);
    `reuse`: per-sample scores another curation stored under the same scoring are taken
    (`reuse`), not computed again."""
    check_executor(executor, ray_workers)
    with reporting(progress), executor_session(executor) as ray:
        return _curate_run(
            run_dir,
            request,
            seed_data_path,
            replace,
            generator,
            chunk_size,
            say,
            ray,
            ray_workers,
            reuse,
        )


def _curate_run(
    run_dir: str | Path,
    request: CurationRequest,
    seed_data_path: str | Path | None,
    replace: bool,
    generator: Backend | None,
    chunk_size: int,
    say: Callable[[str], None] | None,
    ray: Any,
    workers: int,
    reuse: bool = True,
) -> CurationResult:
    from synloom.backends.registry import BackendHandle
    from synloom.store import RunStore, open_run

    say = say or (lambda _msg: None)
    loaded = request.loaded()
    name = request.name or request.default_name()
    from synloom.store.curations import check_curation_name

    check_curation_name(name)
    run = open_run(run_dir)  # checked read-only first: a refused request leaves no trace
    run.require_labels("curation")
    if not run.samples:
        raise SynloomError(f"{run_dir}: the run has no accepted samples to curate")
    seed_data, seed_info = _seed_data(run.spec, seed_data_path, loaded)
    with RunStore(run_dir) as reader:
        size = _size_target(reader, request)
    with RunStore(run_dir, writable=True) as store:
        run = open_run(run_dir)  # again under the writer lock: what is curated is what is held
        spec = run.spec
        seed = spec.seed if request.seed is None else request.seed
        weighted = any(m.info.kind == "weight" for m, _ in loaded)
        settings = stored_settings(
            request,
            loaded,
            seed=seed,
            pool_ids=[s.id for s in run.samples],
            seed_data=seed_info,
            weighted=weighted,
        )
        fresh = store.start_curation(name, settings, replace=replace)
        record = store.curation(name)
        if not fresh and record is not None and record.status == "done":
            say(f"curation {name} is already done; nothing to do")
            return CurationResult(name, True, record.summary or {})
        handles = [BackendHandle(spec.backend, generator)]
        judge = _judge_handle(loaded)
        if judge is not None:
            handles.append(judge)
        try:
            data = CurationData.from_run(
                run,
                seed=seed,
                seed_data=seed_data,
                generator=handles[0].get,
                judge=None if judge is None else judge.get,
                embed=None if ray is None else RayEmbedder(workers),
            )
            pipeline = Pipeline(data.labels)
            finished = store.finished_steps(name)
            for step, (method, options) in enumerate(loaded):
                sub = data.subset(pipeline.alive)
                result = _run_step(
                    store,
                    name,
                    step,
                    method,
                    options,
                    sub,
                    finished,
                    chunk_size,
                    ray,
                    workers,
                    settings if reuse else None,
                )
                pipeline.apply(result)
                done = pipeline.steps[-1]
                taken = sum(result.summary.get("scores_taken_from", {}).values())
                say(
                    f"{method.info.name}: scored {len(sub)}"
                    + (f" ({taken} taken from other curations)" if taken else "")
                    + f", dropped "
                    f"{sum(done['dropped'].values())}, {len(pipeline.alive)} left"
                )
            pipeline.apply_size(size)
            decisions = pipeline.decisions()
            summary = pipeline.summary(weighted)
            store.finish_curation(
                name,
                [
                    (sid, d.kept, d.reason, d.weight)
                    for sid, d in zip(data.ids, decisions, strict=True)
                ],
                summary,
            )
        finally:
            for handle in handles:
                handle.close()
    return CurationResult(name, not fresh, summary)


def _run_step(
    store: RunStore,
    name: str,
    step: int,
    method: CurationMethod,
    options: MethodOptions,
    sub: CurationData,
    finished: dict[int, tuple[str, dict]],
    chunk_size: int,
    ray: Any = None,
    workers: int = 0,
    settings: dict[str, Any] | None = None,
) -> StepResult:
    """The method's scores for `sub`: from the store when stored (by this curation, or for a
    per-sample method by another with the same scoring: `reuse`), else computed and stored."""
    info = method.info
    summary: dict[str, Any] = {}
    taken: dict[str, Any] = {}
    if step not in finished and info.per_sample and settings is not None:
        taken = reuse_scores(store, name, settings, info.name, sub.ids)
    stored = store.method_scores(name, info.name)
    if step in finished:
        summary = finished[step][1]
    else:
        # a per-sample method is scored and stored in chunks (a rerun skips the stored ones);
        # any other sees all the samples at once
        size = chunk_size if info.per_sample else max(len(sub), 1)
        chunks = [list(range(s, min(s + size, len(sub)))) for s in range(0, len(sub), size)]
        if info.per_sample:
            chunks = [c for c in chunks if not all(sub.ids[i] in stored for i in c)]

        def record(part: CurationData, scored) -> None:
            _check_shape(info.name, scored.scores, len(part))
            store.put_method_scores(name, info.name, _rows(part, scored))

        with progress_step(
            f"curation step {step + 1}: {info.name}", len(sub), "samples"
        ) as progress:
            progress.advance(len(sub) - sum(map(len, chunks)))
            if ray is not None and runs_on_ray(info):
                summary = score_chunks_on_ray(
                    ray, method, options, sub, chunks, record, progress.advance, workers
                )
                chunks = []
            for chunk in chunks:
                part = sub.subset(chunk)
                scored = method.score(part, options)
                record(part, scored)
                summary = scored.summary
                progress.advance(len(chunk))
        summary = summary | taken if summary else taken_summary(store, taken, info.name)
        stored = store.method_scores(name, info.name)
        store.finish_step(name, step, info.name, summary)
    missing = [sid for sid in sub.ids if sid not in stored]
    if missing:
        raise SynloomError(f"curation {name}: {info.name} has no stored score for {missing[0]}")
    scores = np.asarray([stored[sid][0] for sid in sub.ids], dtype=np.float64)
    weights = None
    if info.kind == "weight":
        weights = np.asarray(
            [stored[sid][1].get("weight", stored[sid][0]) for sid in sub.ids], dtype=np.float64
        )
    return StepResult(
        info.name, info.kind, method.threshold(options), sub.index, scores, weights, summary
    )


def _rows(data: CurationData, scored) -> list[tuple[str, float | None, dict]]:
    rows = []
    for i, sid in enumerate(data.ids):
        detail: dict[str, Any] = {k: _plain(v[i]) for k, v in scored.details.items()}
        if scored.weights is not None:
            detail["weight"] = float(scored.weights[i])
        score = float(scored.scores[i])
        rows.append((sid, None if np.isnan(score) else score, detail))
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_shape(method: str, scores: np.ndarray, n: int) -> None:
    if np.shape(scores) != (n,):
        raise SynloomError(f"{method} returned {np.shape(scores)} scores for {n} samples")


def _size_target(store: RunStore, request: CurationRequest) -> SizeTarget:
    """The size target, with `--same-size-as` turned into the other curation's kept counts."""
    if request.same_size_as is None:
        return request.size
    other = store.curation(request.same_size_as)
    if other is None or other.status != "done" or not other.summary:
        raise SynloomError(
            f"--same-size-as {request.same_size_as}: no finished curation of that name in the run"
        )
    return SizeTarget(counts=dict(other.summary["kept"]))


def _seed_data(
    spec: TaskSpec,
    path: str | Path | None,
    loaded: list[tuple[CurationMethod, MethodOptions]],
) -> tuple[LabeledData | None, dict[str, Any] | None]:
    """Real labeled seed examples: `--seed-data FILE.jsonl`, else the spec's seed_examples;
    (None, None) when no method uses seeds, so seed data never changes what such a curation
    is (its stored settings)."""
    from synloom.train.data import LabeledData

    needs_seeds = [m.info.name for m, _ in loaded if "seeds" in m.info.needs]
    if not needs_seeds:
        return None, None
    if path is not None:
        path = Path(path)
        data = LabeledData.from_jsonl(path)
        unknown = sorted(set(data.labels) - set(spec.label_names))
        if unknown:
            raise SynloomError(f"{path}: labels the spec does not declare: {', '.join(unknown)}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return data, {"source": str(path), "sha256": digest, "n": len(data)}
    if spec.seed_examples:
        ex = spec.seed_examples
        pair = any(e.text_b is not None for e in ex)
        data = LabeledData(
            tuple(e.text for e in ex),
            tuple(e.label for e in ex),
            tuple(e.text_b or "" for e in ex) if pair else None,
        )
        return data, {"source": "spec seed_examples", "n": len(data)}
    raise SynloomError(
        f"{needs_seeds[0]} needs real seed examples of every label: add seed_examples to the"
        " spec or pass --seed-data FILE.jsonl"
    )


def _judge_handle(loaded: list[tuple[CurationMethod, MethodOptions]]):
    """A handle on the judge server when the judge options name one (else the generator)."""
    from synloom.backends.registry import BackendHandle

    for method, options in loaded:
        if method.info.name == "judge":
            from synloom.curate.judge import judge_backend_config

            config = judge_backend_config(options)
            return None if config is None else BackendHandle(config)
    return None
