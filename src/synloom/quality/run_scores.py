"""Score a run directory: its accepted samples, the spec's seed examples, optional real data.

Reads the run (samples and the spec kept in its manifest), builds the scorer from the spec's
backend (perplexity and relabel agreement need `Backend.score`), calls `score_dataset`, and adds
the plot data a report needs (length counts, a 2-D embedding map) from the same embeddings.
Returns the result; `synloom.quality.stored.save_scores` writes it to the run's store. The LM
metrics' per-sample values (`perplexity`, `relabel_margin`, `relabel_label` of the at most
`max_model_samples` samples they scored) come as `per_sample`: column -> sample id -> value.

For sentence-pair runs the scored text is the generated second sentence (`text_b`; the first is
a given context), for the samples, the seed examples and the reference rows alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import BackendError, SynloomError
from synloom.progress import Progress, reporting, step
from synloom.quality.plot_data import MAX_POINTS, embedding_map, length_counts
from synloom.quality.ray_data import (
    DEFAULT_WORKERS,
    RayEmbedder,
    check_executor,
    executor_session,
)
from synloom.quality.suite import score_dataset

if TYPE_CHECKING:
    from synloom.backends.base import Backend
    from synloom.backends.registry import BackendHandle
    from synloom.spec import TaskSpec

DEFAULT_MAX_MODEL_SAMPLES = 200
LM_METRICS = ("perplexity", "relabel_agreement")


@dataclass(frozen=True)
class RunTexts:
    """What a run contributes to scoring."""

    spec: TaskSpec
    texts: list[str]
    labels: list[str]
    seed_texts: list[str]
    is_pair: bool
    attributes: list[dict[str, str]] | None = None  # per sample, its meta["attributes"]
    ids: tuple[str, ...] = ()  # per sample, its id

    @property
    def verbalizers(self) -> dict[str, list[str]]:
        return {label.name: label.verbalizers or [label.name] for label in self.spec.labels}


def read_run_texts(run_dir: str | Path, curation: str | None = None) -> RunTexts:
    """The accepted samples (or those `curation` keeps) and the spec of a run; a SynloomError
    when there is nothing to score."""
    from synloom.store import open_run

    run = open_run(run_dir, curation=curation)
    run.require_labels("scoring")
    spec = run.spec
    if len(run.samples) < 2:
        what = "accepted sample(s)" if curation is None else f"sample(s) kept by {curation}"
        raise SynloomError(
            f"{run_dir}: the run has {len(run.samples)} {what}; scoring needs at least 2"
        )
    is_pair = run.is_pair
    return RunTexts(
        spec=spec,
        texts=run.texts,
        labels=run.sample_labels,
        seed_texts=[(e.text_b or e.text) if is_pair else e.text for e in spec.seed_examples],
        is_pair=is_pair,
        attributes=[dict(s.meta.get("attributes") or {}) for s in run.samples],
        ids=tuple(s.id for s in run.samples),
    )


def score_run(
    run_dir: str | Path,
    reference: Sequence[Mapping[str, Any]] | None = None,
    *,
    reference_source: str | None = None,
    max_model_samples: int = DEFAULT_MAX_MODEL_SAMPLES,
    backend: Backend | None = None,
    embed: Callable[[Sequence[str]], Any] | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
    curation: str | None = None,
    progress: Progress | None = None,
    executor: str = "local",
    ray_workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """`score_dataset` over a run, plus `plot_data` and settings describing the scoring.

    `reference`: real rows with `text` and `label` (and `text_b` for pairs). The LM metrics run
    on at most `max_model_samples` samples (0 skips them) with `backend`, by default the spec's
    backend; a backend that cannot score makes them skipped, with its reason, not an error.
    `curation` scores the samples that curation keeps (store the result with the same
    `curation` in `save_scores`, beside the uncurated scores). `progress` receives the steps
    (loading the scorer, each metric, embedding and LM scoring; `synloom.progress`).
    `executor="ray"` embeds on Ray Data with `ray_workers` workers (`synloom.quality.ray_data`;
    the same embeddings to float rounding); the metrics run here either way.
    """
    check_executor(executor, ray_workers)
    with reporting(progress), executor_session(executor) as ray:
        if ray is not None and embed is None:
            embed = RayEmbedder(ray_workers)
        result = _score_run(
            run_dir, reference, reference_source, max_model_samples, backend, embed, max_points,
            seed, curation,
        )  # fmt: skip
    if ray is not None:
        result["settings"] |= {"executor": "ray", "ray_workers": ray_workers}
    return result


def _score_run(
    run_dir: str | Path,
    reference: Sequence[Mapping[str, Any]] | None,
    reference_source: str | None,
    max_model_samples: int,
    backend: Backend | None,
    embed: Callable[[Sequence[str]], Any] | None,
    max_points: int,
    seed: int,
    curation: str | None,
) -> dict[str, Any]:
    import numpy as np

    if max_model_samples < 0:
        raise SynloomError(f"max_model_samples must be >= 0, got {max_model_samples}")
    start = time.perf_counter()
    run = read_run_texts(run_dir, curation)
    ref_rows = _reference_rows(reference, run.is_pair) if reference else None
    if embed is None:
        from synloom.embeddings import embed_texts as embed
    cached = _CachingEmbed(embed)

    lm, handle, why_not = None, None, None
    if max_model_samples <= 0:
        why_not = "disabled (--max-model-samples 0)"
    else:
        with step("loading the scoring LM"):
            lm, handle, why_not = _open_scorer(run.spec, backend)
    try:
        result = score_dataset(
            run.texts,
            run.labels,
            reference=ref_rows,
            seed_texts=run.seed_texts or None,
            scorer=None if lm is None else lm.score,
            verbalizers=None if run.is_pair else run.verbalizers,
            embed=cached,
            max_model_samples=max(max_model_samples, 1),
            seed=seed,
            attributes=run.attributes,
        )
    finally:
        if handle is not None:
            handle.close()
    result["per_sample"] = _by_sample_id(result.pop("per_sample", {}), run.ids)
    for name in LM_METRICS:
        if why_not and name in result["skipped"]:
            result["skipped"][name] = why_not
    if run.is_pair and "relabel_agreement" in result["skipped"] and not why_not:
        result["skipped"]["relabel_agreement"] = "pair task: the relabel template takes one text"

    ref_texts = [r["text"] for r in ref_rows] if ref_rows else []
    ref_labels = [r["label"] for r in ref_rows] if ref_rows else []
    with step("plot data"):
        result["plot_data"] = {
            "lengths": {
                "unit": "words",
                "synthetic": length_counts(run.texts, run.labels),
                "reference": length_counts(ref_texts, ref_labels) if ref_rows else None,
            },
            "embedding_map": embedding_map(
                cached(run.texts),
                run.labels,
                run.texts,
                np.asarray(cached(ref_texts)) if ref_rows else None,
                ref_labels,
                ref_texts,
                max_points=max_points,
                seed=seed,
            ),
        }
    result["settings"] |= {
        "reference": reference_source,
        "n_reference": len(ref_rows) if ref_rows else 0,
        "n_seed_texts": len(run.seed_texts),
        "scorer": None if lm is None else lm.model_name,
        "is_pair": run.is_pair,
        "scored_at": time.time(),
        "curation": curation,
        "duration_s": round(time.perf_counter() - start, 3),
    }
    result["settings"]["max_model_samples"] = max_model_samples
    return result


def _by_sample_id(per_sample: dict[str, dict[str, list]], ids: Sequence[str]) -> dict:
    """`score_dataset`'s per-sample columns (sample indices -> values) keyed by sample id."""
    return {
        column: {ids[i]: v for i, v in zip(kept["index"], kept["values"], strict=True)}
        for column, kept in per_sample.items()
    }


def _reference_rows(rows: Sequence[Mapping[str, Any]], is_pair: bool) -> list[dict[str, str]]:
    out = []
    for i, row in enumerate(rows):
        text = row.get("text_b") if is_pair else row.get("text")
        label = row.get("label")
        if not isinstance(text, str) or not isinstance(label, str):
            need = "text_b" if is_pair else "text"
            raise SynloomError(f"reference row {i}: needs string fields {need!r} and 'label'")
        out.append({"text": text, "label": label})
    if not out:
        raise SynloomError("the reference data has no rows")
    return out


def _open_scorer(
    spec: TaskSpec, given: Backend | None
) -> tuple[Backend | None, BackendHandle | None, str | None]:
    """(backend, its handle, why not): a backend whose `score` works on a one-token probe; the
    handle closes it when it was built here (a `given` one stays open)."""
    from synloom.backends.registry import BackendHandle

    handle = BackendHandle(spec.backend, given)
    try:
        backend = handle.get()
    except (BackendError, OSError) as exc:
        return None, None, f"backend {spec.backend.type!r} could not be loaded: {exc}"
    try:
        backend.score(["\n"], [" ok"])
    except (BackendError, OSError) as exc:
        handle.close()
        why = f"cannot score log-probs ({exc or 'not supported'})"
        return None, None, f"backend {backend.name!r} {why}"
    return backend, handle, None


class _CachingEmbed:
    """Embeds each distinct list of texts once, so the plot data reuses the suite's embeddings."""

    def __init__(self, embed: Callable[[Sequence[str]], Any]):
        self.embed = embed
        self.cache: dict[tuple[str, ...], Any] = {}

    def __call__(self, texts: Sequence[str]) -> Any:
        import numpy as np

        key = tuple(texts)
        if key not in self.cache:
            self.cache[key] = np.asarray(self.embed(list(texts)))
        return self.cache[key]
