"""Classification metrics over string labels: accuracy, macro-F1, confusion matrix.

Macro-F1 is the unweighted mean of per-class F1 (scikit-learn's `f1_score(average="macro")`);
it is the standard companion to accuracy in ZeroGen/ProGen-style tables because synthetic data
often skews the predicted class balance, which accuracy alone hides. The numbers are
scikit-learn's, through `synloom.quality.classification` (shared with the agreement metrics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.quality import classification as shared

if TYPE_CHECKING:
    from collections.abc import Sequence


def _check(y_true: Sequence[str], y_pred: Sequence[str]) -> None:
    if len(y_true) != len(y_pred):
        raise SynloomError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    if len(y_true) == 0:
        raise SynloomError("no examples to score")


def _labels(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None
) -> list[str]:
    return list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Fraction of exact label matches."""
    _check(y_true, y_pred)
    return shared.accuracy(y_true, y_pred)


def macro_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean F1 over `labels` (default: every label seen in gold or predictions);
    a class never predicted nor present scores 0."""
    _check(y_true, y_pred)
    return shared.macro_f1(y_true, y_pred, _labels(y_true, y_pred, labels))


def confusion(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """Counts as {gold label: {predicted label: n}} over `labels` (rows and columns)."""
    _check(y_true, y_pred)
    names = _labels(y_true, y_pred, labels)
    counts = shared.confusion_counts(y_true, y_pred, names)
    return {t: dict(zip(names, row, strict=True)) for t, row in zip(names, counts, strict=True)}


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1, confusion and size in one JSON-ready dict."""
    _check(y_true, y_pred)
    names = _labels(y_true, y_pred, labels)
    return {
        "n": len(y_true),
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred, names),
        "f1_per_class": shared.f1_per_class(y_true, y_pred, names),
        "confusion": confusion(y_true, y_pred, names),
    }
