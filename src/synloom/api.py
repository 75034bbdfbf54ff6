"""The Python API re-exported by `import synloom`: one function per step of the CLI, returning
the library's own objects instead of printing (walk-through: docs/python-api.md).

    import synloom

    spec = synloom.load_spec("examples/sst2_fewshot.yaml")   # a path, a dict or a TaskSpec
    run = synloom.generate(spec, out="runs/sst2", samples_per_label=20)
    dataset = run.to_hf()        # datasets.Dataset, `label` a ClassLabel in the spec's order
    frame = run.to_pandas()
    table = synloom.evaluate(run, test="test.jsonl", gold_train="train.jsonl", tam="embed-lr")

Each function checks its input as the command of the same name does and fails with the same
one-line `SynloomError`; a package of a missing extra is a `MissingExtraError` naming the extra.
Heavy packages (torch, datasets, ...) load only inside the function that needs them, so the base
install can still load specs, generate against an OpenAI-compatible server and read runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from synloom.errors import SynloomError
from synloom.store import Run, open_run

if TYPE_CHECKING:
    from synloom.adapt.run import AdaptResult
    from synloom.backends.base import Backend
    from synloom.evaluate.table import EvaluationTable
    from synloom.generate import ProgressSink
    from synloom.progress import Progress
    from synloom.spec import TaskSpec
    from synloom.store.artifacts import StoredScores

__all__ = ["Run", "adapt", "curate", "evaluate", "generate", "load_spec", "open_run", "score"]

F = TypeVar("F", bound=Callable[..., Any])


def _extras(func: F) -> F:
    """An ImportError of a package an extra installs becomes the one-line MissingExtraError."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImportError as exc:
            from synloom.extras import missing_extra

            error = missing_extra(exc)
            if error is None:
                raise
            raise error from exc

    return wrapper  # type: ignore[return-value]


def load_spec(source: TaskSpec | Mapping[str, Any] | str | Path, **overrides: Any) -> TaskSpec:
    """A validated `TaskSpec` from a YAML file (files it names resolve against its folder and
    must lie inside it unless `allow_outside_paths=True`), a dict as the YAML would hold (files
    resolve against the working directory), or a `TaskSpec` (returned as it is).

    `samples_per_label=N` (the one override) changes the budget, checked as in the YAML."""
    from synloom.spec import TaskSpec, parse_spec
    from synloom.spec import load_spec as read_yaml

    allow = bool(overrides.pop("allow_outside_paths", False))
    budget = overrides.pop("samples_per_label", None)
    if overrides:
        raise SynloomError(f"load_spec: unknown option(s) {', '.join(sorted(overrides))}")
    if isinstance(source, TaskSpec):
        spec = source
    elif isinstance(source, Mapping):
        spec = parse_spec(dict(source), source="spec", allow_outside_paths=allow)
    elif isinstance(source, (str, Path)):
        spec = read_yaml(source, allow_outside_paths=allow)
    else:
        raise SynloomError(
            f"load_spec takes a YAML path, a dict or a TaskSpec, not a {type(source).__name__}"
        )
    return spec if budget is None else _with_budget(spec, budget)


def _with_budget(spec: TaskSpec, budget: int) -> TaskSpec:
    """`spec` with another `generation.samples_per_label`, validated as a whole again (the
    files it names were read when it was loaded)."""
    from synloom.spec import parse_spec
    from synloom.spec.io import spec_to_dict

    data = spec_to_dict(spec)
    data["generation"]["samples_per_label"] = budget
    return parse_spec(data, source="samples_per_label", check_files=False)


@_extras
def generate(
    spec: TaskSpec | Mapping[str, Any] | str | Path,
    out: str | Path,
    *,
    backend: Backend | None = None,
    samples_per_label: int | None = None,
    progress: ProgressSink | None = None,
    strict: bool = True,
) -> Run:
    """Generate `spec` into the run directory `out` (created if needed; an existing run of the
    same spec resumes, or is topped up by a larger budget) and return the run, read back.

    `backend`: a backend object to use (left open), else the spec's own is built and closed.
    `strict`: a label short of its budget raises `IncompleteRunError` (everything stays in
    `out`; rerunning resumes); `strict=False` returns the run as it is."""
    from synloom.generate import run_generation

    spec = load_spec(spec, samples_per_label=samples_per_label)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SynloomError(f"out={out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SynloomError(f"cannot create run directory {out}: {exc.strerror or exc}") from None
    summary = run_generation(spec, out, backend=backend, progress=progress)
    if strict:
        summary.raise_if_incomplete()
    return open_run(out)


def _run_dir(run: Run | str | Path) -> tuple[Path, str | None]:
    """The directory of a run (or path) and the curation it was opened with."""
    if isinstance(run, Run):
        return run.run_dir, None if run.curation is None else run.curation.name
    return Path(run), None


def _labeled(data: Any, what: str) -> Any:
    """Labeled data as `evaluate`/`score` take it: a path (JSONL, a `save_to_disk` folder, a
    run), a `datasets.Dataset`, a pandas DataFrame, a list of records or `LabeledData`."""
    from synloom.train.data import LabeledData, load_labeled_data

    if isinstance(data, LabeledData):
        return data
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        return LabeledData.from_records(data.to_dict("records"), source=what)
    return load_labeled_data(data)


def _check_task_model(tam: str, strategies: Sequence[str]) -> None:
    """An unknown task model or strategy fails now, not after the prompting baseline."""
    from synloom.train.registry import TASK_MODELS, strategy_options

    if tam not in TASK_MODELS:
        raise SynloomError(f"unknown task model {tam!r}; choose one of {', '.join(TASK_MODELS)}")
    strategy_options(strategies)


@_extras
def evaluate(
    run: Run | str | Path,
    test: Any,
    *,
    gold_train: Any = None,
    tam: str = "tfidf",
    strategies: Sequence[str] = (),
    seeds: Sequence[int] = (0,),
    prompting: bool = True,
    backend: Backend | None = None,
    curation: str | None = None,
    name: str | None = None,
    replace: bool = False,
    test_name: str | None = None,
    save: bool = True,
    progress: Progress | None = None,
    **options: Any,
) -> EvaluationTable:
    """The three-way table on real data (as `synloom evaluate`): the generator's zero-shot
    prompting baseline, task model `tam` trained on the run's samples, and (with `gold_train`)
    the same task model on real training data, each scored on `test`.

    `test` / `gold_train`: a JSONL path, a `datasets.Dataset`, a pandas DataFrame, records or
    `LabeledData`, with `text` (and `text_b`) and `label`. A run opened with a curation trains
    on the samples it keeps. `save` keeps it as `evaluations/NAME.json` (`name`, else the time;
    taken: refused unless `replace`) and `evaluation.json`; `progress` (`synloom.progress`) gets
    the steps; `options`: more `EvaluationOptions` fields (`calibrate`, `prompt_template`)."""
    from synloom.evaluate.options import EvaluationOptions
    from synloom.evaluate.table import evaluate_run

    if name is not None and not save:  # a bad or taken name fails in evaluate_run, before work
        raise SynloomError("name= names the kept evaluation; it needs save=True")
    run_dir, opened_with = _run_dir(run)
    evaluation_options = EvaluationOptions(
        tam=tam, strategies=tuple(strategies), seeds=tuple(seeds), prompting=prompting
    ).with_overrides(**options)
    _check_task_model(evaluation_options.tam, evaluation_options.strategies)
    test_data = _labeled(test, "test data")
    gold = None if gold_train is None else _labeled(gold_train, "gold training data")
    if test_name is None and isinstance(test, (str, Path)):
        test_name = str(test)
    return evaluate_run(
        run_dir,
        test_data,
        evaluation_options,
        gold_train=gold,
        backend=backend,
        save=save,
        curation=curation or opened_with,
        test_source=test_name,
        name=name,
        replace_name=replace,
        progress=progress,
    )


@_extras
def score(
    run: Run | str | Path,
    reference: Any = None,
    *,
    max_model_samples: int | None = None,
    backend: Backend | None = None,
    curation: str | None = None,
    save: bool = True,
    progress: Progress | None = None,
    executor: str = "local",
    ray_workers: int = 2,
) -> StoredScores:
    """The quality metrics of the run's samples (as `synloom score`), against `reference` real
    labeled data (as `evaluate`'s test data); stored with `save`, returned as `run.scores` reads
    them (`per_sample`: each LM-scored sample's perplexity, relabel margin and LM label).
    `executor="ray"`: the embeddings on Ray Data, `ray_workers` workers (the same scores)."""
    from synloom.quality.run_scores import DEFAULT_MAX_MODEL_SAMPLES, score_run
    from synloom.quality.stored import save_scores
    from synloom.store import RunStore
    from synloom.store.artifacts import StoredScores

    run_dir, opened_with = _run_dir(run)
    curation = curation or opened_with
    RunStore(run_dir).close()  # a missing or foreign directory fails here, before any model
    rows = None if reference is None else _labeled(reference, "reference data").to_records()
    if max_model_samples is None:
        max_model_samples = DEFAULT_MAX_MODEL_SAMPLES
    result = score_run(
        run_dir,
        rows,
        reference_source=None if reference is None else _describe(reference),
        max_model_samples=max_model_samples,
        backend=backend,
        curation=curation,
        progress=progress,
        executor=executor,
        ray_workers=ray_workers,
    )
    if save:
        with RunStore(run_dir, writable=True) as store:
            save_scores(store, result, curation)
    return StoredScores.from_result(result)


def _describe(data: Any) -> str:
    if isinstance(data, (str, Path)):
        return str(data)
    size = len(data) if hasattr(data, "__len__") else None
    return f"in-memory data ({size} rows)" if size is not None else "in-memory data"


@_extras
def curate(
    run: Run | str | Path,
    methods: str | Sequence[str],
    *,
    keep: float | None = None,
    per_label: int | None = None,
    same_size_as: str | None = None,
    name: str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    seed_data: str | Path | None = None,
    seed: int | None = None,
    replace: bool = False,
    reuse: bool = True,
    generator: Backend | None = None,
    progress: Progress | None = None,
    executor: str = "local",
    ray_workers: int = 2,
) -> Run:
    """Score, filter and reweight the run's samples (as `synloom curate`; samples never change)
    and return the run read through the curation: `samples` are the kept ones, `weights` their
    weights. `options`: per method (`{"margin": {"threshold": 0.5}}`); `progress`: its steps;
    `executor="ray"`: embeddings and model-free per-sample methods on Ray Data (same decisions);
    `reuse=False`: compute every score, take none from the run's other curations."""
    from synloom.curate.pipeline import SizeTarget
    from synloom.curate.runner import curate_run
    from synloom.curate.settings import CurationRequest

    if same_size_as is not None and (keep is not None or per_label is not None):
        raise SynloomError("give at most one of keep, per_label and same_size_as")
    request = CurationRequest(
        methods=(methods,) if isinstance(methods, str) else tuple(methods),
        size=SizeTarget(keep=keep, per_label=per_label),
        same_size_as=same_size_as,
        options={method: dict(values) for method, values in (options or {}).items()},
        seed=seed,
        name=name,
    )
    request.loaded()  # bad options fail before the run is opened
    run_dir, _ = _run_dir(run)
    result = curate_run(
        run_dir, request, seed_data_path=seed_data, replace=replace, reuse=reuse,
        generator=generator, progress=progress, executor=executor, ray_workers=ray_workers,
    )  # fmt: skip
    return open_run(run_dir, curation=result.name)


@_extras
def adapt(
    spec: TaskSpec | Mapping[str, Any] | str | Path,
    out: str | Path,
    method: str,
    *,
    unlabeled: Sequence[str] | None = None,
    progress: Progress | None = None,
    **settings: Any,
) -> AdaptResult:
    """Train an adapter of the spec's local generator on its seed examples (as `synloom adapt`)
    into `out`, or resume it, or find it done; generate through it with the spec's
    `backend.adapter` set to `out`. `settings`: the other `AdaptSettings` fields (epochs,
    learning_rate, batch_size, lora_rank, virtual_tokens, seed, ...); `unlabeled`: in-domain
    texts trained on as plain language-model targets. The result's `meta` is the directory's
    `synloom_adapter.json` (settings, base model, loss curve)."""
    from pydantic import ValidationError

    from synloom.adapt.run import adapt as run_adapt
    from synloom.adapt.settings import AdaptSettings
    from synloom.errors import SpecError
    from synloom.progress import reporting
    from synloom.spec.io import format_validation_error

    try:
        chosen = AdaptSettings(method=method, **settings)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, "adapt settings")) from None
    with reporting(progress):
        return run_adapt(load_spec(spec), out, chosen, unlabeled=list(unlabeled or []) or None)
