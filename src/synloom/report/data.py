"""Everything a report shows, read once from a run directory (store, scores, evaluation.json).

No model is loaded: the scores and their plot data were stored by `synloom score`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synloom.report.run_details import RunDetails, read_run_details
from synloom.store.artifacts import Evaluation, Manifest, SpecOutline, StoredScores
from synloom.store.curation_view import CurationView
from synloom.store.records import Sample

EXAMPLES_PER_REASON = 3


@dataclass(frozen=True)
class ReportData:
    run_dir: Path
    manifest: Manifest
    spec: SpecOutline  # the manifest's spec, read leniently (a report never needs it to validate)
    counts: dict[str, int]
    labels: list[str]  # the spec's labels, in spec order
    label_counts: dict[str, int]
    texts: list[str]  # accepted samples (the generated text for pair tasks)
    sample_labels: list[str]
    rejection_reasons: dict[str, int]
    rejected_examples: dict[str, list[dict[str, Any]]]  # reason -> first few rejected rows
    failed: list[dict[str, Any]]
    scores: StoredScores | None  # None if never scored
    evaluation: Evaluation | None  # evaluation.json; None if absent
    evaluation_problem: str | None = None  # why evaluation.json could not be read
    curation: CurationView | None = None  # the curation the report shows the data of
    curation_names: tuple[str, ...] = ()  # every curation of the run
    pool_texts: dict[str, tuple[str, str]] | None = None  # id -> (label, text), curated only
    pool: tuple[Sample, ...] = ()  # every accepted sample, in plan order (the explorer's rows)
    details: RunDetails = field(default_factory=RunDetails)  # a prompt, per-sample scores

    @property
    def name(self) -> str:
        return str(self.spec.name or self.run_dir.name)


def collect_report_data(
    run_dir: str | Path, curation: str | None = None, evaluation: str | None = None
) -> ReportData:
    """Read a run directory (the samples, scores and evaluation of `curation`, if given); a
    StoreError (SynloomError) if it is not a synloom run, or if its stored scores or
    evaluation.json are not what synloom wrote."""
    from synloom.store import open_run

    run = open_run(
        run_dir,
        examples_per_reason=EXAMPLES_PER_REASON,
        curation=curation,
        evaluation=evaluation,  # a kept evaluation by name; None: the latest
    )
    run.require_labels("the report")
    outline = run.manifest.outline()
    scores = run.scores
    spec_labels = outline.label_names
    labels = spec_labels + sorted(set(run.label_counts) - set(spec_labels))
    return ReportData(
        run_dir=run.run_dir,
        manifest=run.manifest,
        spec=outline,
        counts=run.counts,
        labels=labels,
        label_counts={label: run.label_counts.get(label, 0) for label in labels},
        texts=run.texts,
        sample_labels=run.sample_labels,
        rejection_reasons=run.rejection_reasons,
        rejected_examples=run.rejected_examples,
        failed=list(run.failed),
        scores=scores,
        evaluation=run.evaluation,
        curation=run.curation,
        curation_names=tuple(run.curation_names),
        pool_texts={s.id: (s.label, s.text_b or s.text) for s in run.pool}
        if run.curation is not None
        else None,
        pool=run.pool,
        details=read_run_details(
            run.run_dir, {s.id: s.text_b or s.text for s in run.pool}, curation, scores
        ),
    )
