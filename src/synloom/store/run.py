"""`open_run`: one way to read a run directory.

Every reader (`evaluate`, `score`, `report`, `LabeledData.from_run`) takes what it needs from the
same `Run`: the store is read once, read-only, in one session (so counts and samples agree even
while a generation is writing); the spec, the stored scores and `evaluation.json` are parsed
only when asked for, so a reader that does not need them is not stopped by them.

With `curation=NAME` the run reads as that curation left it: `samples` are the kept samples,
`pool` every accepted one, `weights` the curation's weights (when it weights), `scores` what
`synloom score --curation NAME` stored and `evaluation_path` `evaluation-NAME.json`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.store.artifacts import (
    Evaluation,
    Manifest,
    StoredScores,
    evaluation_file,
    read_evaluation,
    validated,
)
from synloom.store.curation_view import CurationView, read_curation, score_rows_of
from synloom.store.run_store import RunStore, Sample

if TYPE_CHECKING:
    from synloom.spec import TaskSpec

SAMPLE_STAGE = "sample"


@dataclass(frozen=True)
class Run:
    """A run directory as read by `open_run`: the manifest and what one stage produced."""

    run_dir: Path
    stage: str
    manifest: Manifest
    samples: tuple[Sample, ...]  # accepted (with a curation: the kept ones), in plan order
    counts: dict[str, int]  # requests and outputs, see `RunStore.counts`
    label_counts: dict[str, int]  # samples per label (with a curation: kept ones)
    rejection_reasons: dict[str, int]  # reason -> rejected outputs, most frequent first
    rejected_examples: dict[str, list[dict[str, Any]]]  # reason -> its first rejected rows
    failed: tuple[dict[str, Any], ...]  # failed requests of every stage
    score_rows: dict[str, Any]  # the `scores` rows of this run or curation; see `scores`
    pool: tuple[Sample, ...] = ()  # every accepted sample (== samples without a curation)
    curation: CurationView | None = None  # the curation read, if any
    weights: tuple[float, ...] | None = None  # per sample, when the curation weights
    curation_names: list[str] = field(default_factory=list)  # every curation of the run

    def __post_init__(self) -> None:
        if not self.pool:
            object.__setattr__(self, "pool", self.samples)

    @cached_property
    def spec(self) -> TaskSpec:
        """The spec the run was generated from (kept in its manifest)."""
        from synloom.spec.io import parse_spec

        if self.manifest.spec is None:
            raise SynloomError(f"{self.run_dir}: the run manifest holds no spec")
        return parse_spec(self.manifest.spec, source=f"{self.run_dir} manifest", check_files=False)

    @property
    def is_pair(self) -> bool:
        """Whether the samples are sentence pairs (a given first text, a generated second)."""
        return any(s.text_b is not None for s in self.samples)

    @property
    def texts(self) -> list[str]:
        """The generated text of each sample: the second sentence of a pair."""
        if self.is_pair:
            return [s.text_b or "" for s in self.samples]
        return [s.text for s in self.samples]

    @property
    def sample_labels(self) -> list[str]:
        return [s.label for s in self.samples]

    @cached_property
    def scores(self) -> StoredScores | None:
        """The latest `synloom score` result; None if the run was never scored."""
        return StoredScores.from_rows(self.score_rows, f"the stored scores of {self.run_dir}")

    @property
    def evaluation_path(self) -> Path:
        """`evaluation.json`, or `evaluation-NAME.json` for a run read with a curation."""
        return self.run_dir / evaluation_file(None if self.curation is None else self.curation.name)

    @cached_property
    def evaluation(self) -> Evaluation | None:
        """`evaluation.json`; None if absent, a one-line StoreError if it is not valid."""
        return read_evaluation(self.evaluation_path)


def open_run(
    run_dir: str | Path,
    *,
    stage: str = SAMPLE_STAGE,
    examples_per_reason: int = 0,
    curation: str | None = None,
) -> Run:
    """Read a run directory; a StoreError (one line) if it is not a synloom run.

    `examples_per_reason` keeps that many rejected rows (with their raw text) per reason.
    `curation` reads the run as that finished curation left it (see the module docstring); an
    unknown or unfinished curation, or one the accepted samples outgrew, is a StoreError.
    """
    run_dir = Path(run_dir)
    with RunStore(run_dir) as store:
        raw_manifest = store.manifest()
        pool = tuple(store.accepted(stage))
        counts = store.counts(stage)
        label_counts = store.label_counts(stage)
        reasons = store.rejection_reasons(stage)
        rejected = store.rejected(stage) if examples_per_reason > 0 else []
        failed = tuple(store.failed())
        all_scores = store.scores()
        names = store.curation_names()
        view = None if curation is None else read_curation(store, curation, pool)
    samples, weights = pool, None
    if view is not None:
        samples = view.kept(pool)
        label_counts = dict(sorted(Counter(s.label for s in samples).items()))
        if view.weighted:
            weights = tuple(view.decisions[s.id].weight for s in samples)
    score_rows = score_rows_of(all_scores, curation)
    examples: dict[str, list[dict[str, Any]]] = {}
    for row in rejected:
        bucket = examples.setdefault(row["reason"] or "unknown", [])
        if len(bucket) < examples_per_reason:
            bucket.append(row)
    return Run(
        run_dir=run_dir,
        stage=stage,
        manifest=validated(Manifest, raw_manifest, f"the manifest of {run_dir}"),
        samples=samples,
        counts=counts,
        label_counts=label_counts,
        rejection_reasons=reasons,
        rejected_examples=examples,
        failed=failed,
        score_rows=score_rows,
        pool=pool,
        curation=view,
        weights=weights,
        curation_names=names,
    )
