"""Classification metrics over string labels: accuracy, macro-F1, confusion matrix.

Macro-F1 is the unweighted mean of per-class F1 (scikit-learn's `f1_score(average="macro")`);
it is the standard companion to accuracy in ZeroGen/ProGen-style tables because synthetic data
often skews the predicted class balance, which accuracy alone hides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError

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
    return sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)


def macro_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean F1 over `labels` (default: every label seen in gold or predictions);
    a class never predicted nor present scores 0."""
    from sklearn.metrics import f1_score

    _check(y_true, y_pred)
    return float(
        f1_score(
            list(y_true),
            list(y_pred),
            labels=_labels(y_true, y_pred, labels),
            average="macro",
            zero_division=0,
        )
    )


def confusion(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """Counts as {gold label: {predicted label: n}} over `labels` (rows and columns)."""
    _check(y_true, y_pred)
    names = _labels(y_true, y_pred, labels)
    table = {t: dict.fromkeys(names, 0) for t in names}
    for t, p in zip(y_true, y_pred, strict=True):
        if t in table and p in table[t]:
            table[t][p] += 1
    return table


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1, confusion and size in one JSON-ready dict."""
    from sklearn.metrics import f1_score

    _check(y_true, y_pred)
    names = _labels(y_true, y_pred, labels)
    per_class = f1_score(list(y_true), list(y_pred), labels=names, average=None, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred, names),
        "f1_per_class": {name: float(f) for name, f in zip(names, per_class, strict=True)},
        "confusion": confusion(y_true, y_pred, names),
    }
