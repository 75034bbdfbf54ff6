"""Accuracy, macro-F1 and the confusion matrix over string labels: scikit-learn's, in one place.

Shared by the agreement metrics (`synloom.quality.metrics.confusion`: intended vs judged
labels) and the evaluation tables (`synloom.evaluate.metrics`: gold vs predicted), so both
count the same way. Callers check lengths and emptiness with their own messages; scikit-learn
is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def confusion_counts(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> list[list[int]]:
    """counts[i][j]: examples of `labels[i]` predicted as `labels[j]`; pairs with a label
    outside `labels` are not counted."""
    from sklearn.metrics import confusion_matrix

    names = list(labels)
    if not set(names) & set(y_true):  # scikit-learn refuses this case; nothing to count
        return [[0] * len(names) for _ in names]
    return confusion_matrix(list(y_true), list(y_pred), labels=names).tolist()


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Fraction of exact label matches."""
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(list(y_true), list(y_pred)))


def f1_per_class(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> dict[str, float]:
    """F1 of each of `labels`; a class never predicted nor present scores 0."""
    from sklearn.metrics import f1_score

    names = list(labels)
    scores = f1_score(list(y_true), list(y_pred), labels=names, average=None, zero_division=0)
    return {name: float(f) for name, f in zip(names, scores, strict=True)}


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean F1 over `labels`."""
    from sklearn.metrics import f1_score

    return float(
        f1_score(list(y_true), list(y_pred), labels=list(labels), average="macro", zero_division=0)
    )
