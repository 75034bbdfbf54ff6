"""`open_run`: one way to read a run directory.

Every reader (`evaluate`, `score`, `report`, `LabeledData.from_run`) takes what it needs from the
same `Run`: the store is read once, read-only, in one session (so counts and samples agree even
while a generation is writing); the spec, the stored scores and `evaluation.json` are parsed
only when asked for, so a reader that does not need them is not stopped by them.

With `curation=NAME` the run reads as that curation left it: `samples` are the kept samples,
`pool` every accepted one, `weights` the curation's weights (when it weights), `scores` what
`synloom score --curation NAME` stored and `evaluation_path` `evaluation-NAME.json`. With
`evaluation=NAME`, `evaluation` is that one of the evaluations kept side by side.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import StoreError, SynloomError
from synloom.store.artifacts import (
    Evaluation,
    Manifest,
    StoredScores,
    evaluation_file,
    list_evaluations,
    read_evaluation,
    validated,
)
from synloom.store.artifacts.evaluations import find_evaluation, named_path
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
    evaluation_name: str | None = None  # a chosen evaluation of `evaluations/`; None: the latest

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

    def require_labels(self, what: str) -> None:
        """A one-line SynloomError when the run holds no labeled samples (an instruction run):
        `what` (scoring, curation, a task model, a report) needs labels."""
        from synloom.spec.seed_tasks import is_instruction_spec

        if is_instruction_spec(self.manifest.spec):
            raise SynloomError(
                f"{self.run_dir} is an instruction run (Self-Instruct): {what} needs labeled "
                f"samples; export its data with `synloom export {self.run_dir} --format alpaca` "
                "(or --format messages)"
            )

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
        """The chosen evaluation (`evaluations/NAME.json`, or an old run's unkept latest copy by
        the name `list_evaluations` gives it), else the latest: `evaluation.json`, or
        `evaluation-NAME.json` for a run read with a curation."""
        if self.evaluation_name is not None:
            found = find_evaluation(self.run_dir, self.evaluation_name)
            return found or named_path(self.run_dir, self.evaluation_name)
        return self.run_dir / evaluation_file(None if self.curation is None else self.curation.name)

    @cached_property
    def evaluation(self) -> Evaluation | None:
        """The evaluation of `evaluation_path`; None if absent, a one-line StoreError if it is
        not valid or (a chosen one) was made on other samples than this run's view."""
        evaluation = read_evaluation(self.evaluation_path)
        mine = None if self.curation is None else self.curation.name
        if (
            evaluation is not None
            and self.evaluation_name is not None
            and (evaluation.curation != mine)
        ):
            made_on = "all samples" if evaluation.curation is None else evaluation.curation
            raise StoreError(
                f"evaluation {self.evaluation_name!r} of {self.run_dir} was made on {made_on},"
                f" not on {'all samples' if mine is None else 'curation ' + repr(mine)};"
                " choose another --evaluation or --curation"
            )
        return evaluation

    def to_hf(self, *, rejected: bool = False):
        """The rows `synloom export` writes, as a `datasets.Dataset`: `label` a `ClassLabel`
        in the spec's label order, request metadata as typed columns, a curation's `weight`
        (a run opened with one gives its kept samples). `rejected=True`: the rejected outputs and
        failed requests instead. Read from the store again (`export.read_table`)."""
        from synloom.extras import missing_extra
        from synloom.store.export_writers import to_dataset

        table = self._export_table(rejected)
        try:
            return to_dataset(table)
        except ImportError as exc:  # the base install: `datasets` comes with the train extra
            raise (missing_extra(exc, "train") or exc) from exc

    def to_pandas(self, *, rejected: bool = False):
        """The rows of `to_hf` as a `pandas.DataFrame`; `label` holds the names, as a
        `Categorical` in the spec's label order."""
        from synloom.extras import missing_extra

        try:
            import pandas as pd
        except ImportError as exc:  # the base install: pandas comes with the train extra
            raise (missing_extra(exc, "train") or exc) from exc

        from synloom.store.export_table import ClassLabelKind

        table = self._export_table(rejected)
        frame = pd.DataFrame(table.rows, columns=table.names)
        kind = dict(table.columns).get("label")
        if isinstance(kind, ClassLabelKind):
            frame["label"] = pd.Categorical(frame["label"], categories=list(kind.names))
        return frame

    def _export_table(self, rejected: bool):
        from synloom.store.export import read_table

        curation = None if rejected or self.curation is None else self.curation.name
        return read_table(self.run_dir, curation=curation, rejected=rejected)[0]


def open_run(
    run_dir: str | Path,
    *,
    stage: str = SAMPLE_STAGE,
    examples_per_reason: int = 0,
    curation: str | None = None,
    evaluation: str | None = None,
) -> Run:
    """Read a run directory; a StoreError (one line) if it is not a synloom run.

    `examples_per_reason` keeps that many rejected rows (with their raw text) per reason.
    `curation` reads the run as that finished curation left it (see the module docstring); an
    unknown or unfinished curation, or one the accepted samples outgrew, is a StoreError.
    `evaluation` names the evaluation `Run.evaluation` reads (`evaluations/NAME.json`) instead of
    the latest; an unknown name is a StoreError listing the run's evaluations.
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
    if evaluation is not None and find_evaluation(run_dir, evaluation) is None:
        known = ", ".join(e.name for e in list_evaluations(run_dir)) or "none"
        raise StoreError(f"{run_dir} has no evaluation named {evaluation!r} (it has: {known})")
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
        evaluation_name=evaluation,
    )
