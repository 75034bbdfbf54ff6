"""Everything a report shows, read once from a run directory (store, scores, evaluation.json).

No model is loaded: the scores and their plot data were stored by `synloom score`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synloom.evaluate.table import EVALUATION_FILE

EXAMPLES_PER_REASON = 3


@dataclass(frozen=True)
class ReportData:
    run_dir: Path
    manifest: dict[str, Any]
    counts: dict[str, int]
    labels: list[str]  # the spec's labels, in spec order
    label_counts: dict[str, int]
    texts: list[str]  # accepted samples (the generated text for pair tasks)
    sample_labels: list[str]
    rejection_reasons: dict[str, int]
    rejected_examples: dict[str, list[dict[str, Any]]]  # reason -> first few rejected rows
    failed: list[dict[str, Any]]
    scores: dict[str, Any] | None  # `load_scores` result; None if never scored
    evaluation: dict[str, Any] | None  # evaluation.json; None if absent
    evaluation_problem: str | None = None  # why evaluation.json could not be read

    @property
    def spec(self) -> dict[str, Any]:
        return self.manifest.get("spec", {})

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or self.run_dir.name)


def collect_report_data(run_dir: str | Path) -> ReportData:
    """Read a run directory; a StoreError (SynloomError) if it is not a synloom run."""
    from synloom.quality.stored import load_scores
    from synloom.store import RunStore

    run_dir = Path(run_dir)
    with RunStore(run_dir) as store:
        manifest = store.manifest()
        samples = store.accepted()
        rejected = store.rejected("sample")
        counts = store.counts()
        data_counts = store.label_counts()
        reasons = store.rejection_reasons()
        failed = store.failed()
        scores = load_scores(store)
    examples: dict[str, list[dict[str, Any]]] = {}
    for row in rejected:
        bucket = examples.setdefault(row["reason"] or "unknown", [])
        if len(bucket) < EXAMPLES_PER_REASON:
            bucket.append(row)
    spec_labels = [lab["name"] for lab in manifest.get("spec", {}).get("labels", [])]
    labels = spec_labels + sorted(set(data_counts) - set(spec_labels))
    is_pair = any(s.text_b is not None for s in samples)
    evaluation, problem = _read_evaluation(run_dir / EVALUATION_FILE)
    return ReportData(
        run_dir=run_dir,
        manifest=manifest,
        counts=counts,
        labels=labels,
        label_counts={label: data_counts.get(label, 0) for label in labels},
        texts=[(s.text_b or "") if is_pair else s.text for s in samples],
        sample_labels=[s.label for s in samples],
        rejection_reasons=reasons,
        rejected_examples=examples,
        failed=failed,
        scores=scores,
        evaluation=evaluation,
        evaluation_problem=problem,
    )


def _read_evaluation(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """evaluation.json, checked field by field: a file that is not what `synloom evaluate`
    wrote (garbage, truncated, edited by hand) is a one-line error, not a crash mid-report."""
    from synloom.errors import SynloomError

    if not path.is_file():
        return None, None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        problem = _evaluation_problem(data)
    if problem is not None:
        raise SynloomError(
            f"{path} is not a valid evaluation ({problem}); "
            "rerun synloom evaluate, or move the file away"
        )
    return data, None


_NUMBER_FIELDS = ("n_train", "n_test", "accuracy", "accuracy_std", "macro_f1", "macro_f1_std")


def _is_number(value: Any, *, optional: bool = True) -> bool:
    if value is None:
        return optional
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _evaluation_problem(data: Any) -> str | None:
    """Why `data` is not an evaluation table as `EvaluationTable.save` writes it (None if it is)."""
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        return "no list of rows"
    if not isinstance(data.get("labels", []), list):
        return "labels is not a list"
    created = data.get("created_at")
    if not _is_number(created) or (created is not None and not 0 <= created < 1e11):
        return f"created_at {created!r} is not a time"
    for i, row in enumerate(data["rows"]):
        if not isinstance(row, dict):
            return f"row {i} is not an object"
        for key in _NUMBER_FIELDS:
            if not _is_number(row.get(key)):
                return f"row {i}: {key} {row.get(key)!r} is not a number"
        if not isinstance(row.get("seeds") or [], list):
            return f"row {i}: seeds is not a list"
        details = row.get("details", {})
        if not isinstance(details, dict):
            return f"row {i}: details is not an object"
        for report in _reports(details):
            confusion = report.get("confusion") or {}
            if not isinstance(confusion, dict) or not all(
                isinstance(preds, dict)
                and all(_is_number(n, optional=False) for n in preds.values())
                for preds in confusion.values()
            ):
                return f"row {i}: a confusion matrix is not counts"
    return None


def _reports(details: dict[str, Any]) -> list[dict[str, Any]]:
    reports = [details["report"]] if isinstance(details.get("report"), dict) else []
    if isinstance(details.get("reports"), dict):
        reports += [r for r in details["reports"].values() if isinstance(r, dict)]
    return reports
