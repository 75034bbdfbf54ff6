"""A seeded, label-stratified train/validation split of an export.

Per label, `round(fraction x n)` of its samples go to validation (at least one when the label
has two or more samples, and never all of them), drawn with a `random.Random` seeded from the
split seed and the label name (string seeds hash with SHA-512, not Python's salted `hash`), so
the split depends only on (seed, label, the label's samples in plan order): the same export
command gives the same split on any machine, and adding a label does not move the others.
Both parts keep plan order. An unlabeled run (instruction data) is one group: `random_split`
draws `round(fraction x n)` of all its samples the same way.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from synloom.errors import SynloomError

SPLITS = ("train", "validation")


def check_fraction(fraction: float) -> float:
    if not 0.0 < fraction < 1.0:
        raise SynloomError(
            f"--split {fraction} is not a fraction between 0 and 1 (the validation share)"
        )
    return fraction


def validation_count(n: int, fraction: float) -> int:
    """How many of a label's `n` samples go to validation."""
    if n < 2:
        return 0
    return min(n - 1, max(1, round(fraction * n)))


def stratified_split(
    labels: Sequence[str], fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """(train indices, validation indices) into `labels`, each in ascending order."""
    check_fraction(fraction)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    validation: set[int] = set()
    for label, indices in by_label.items():
        rng = random.Random(f"synloom-split:{seed}:{label}")
        validation.update(rng.sample(indices, validation_count(len(indices), fraction)))
    if not validation:
        raise SynloomError(
            f"--split {fraction} leaves no validation sample ({len(labels)} samples; a label"
            " needs at least 2 to give one)"
        )
    train = [i for i in range(len(labels)) if i not in validation]
    return train, sorted(validation)


def random_split(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train indices, validation indices) of `n` unlabeled samples: a seeded random share."""
    check_fraction(fraction)
    if n < 2:
        raise SynloomError(
            f"--split {fraction} leaves no validation sample ({n} sample; it needs at least 2)"
        )
    rng = random.Random(f"synloom-split:{seed}")
    validation = set(rng.sample(range(n), validation_count(n, fraction)))
    return [i for i in range(n) if i not in validation], sorted(validation)
