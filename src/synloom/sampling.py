"""Seeded subsets: the one place synloom draws a reproducible sample of rows.

`subsample_indices` picks at most `limit` of `n` rows uniformly without replacement (numpy's
`Generator.choice`), returned sorted so the subset keeps the rows' order; metrics, plots and the
model-scored sample use it. `stratified_indices` keeps each label's share (Python's
`random.Random`), as the quickstart's test subset is drawn.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np


def subsample_indices(n: int, limit: int | None, rng: np.random.Generator | int) -> np.ndarray:
    """Sorted indices of `limit` of `n` rows drawn without replacement; all rows when `limit`
    is None or `n <= limit` (then nothing is drawn from `rng`). `rng` is a generator (shared
    across draws) or a seed."""
    import numpy as np

    if limit is None or n <= limit:
        return np.arange(n)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    return np.sort(rng.choice(n, limit, replace=False))


def stratified_indices(labels: Sequence[str], size: int, seed: int = 0) -> list[int]:
    """Sorted indices of about `size` rows, each label keeping its share (rounded)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    picked: list[int] = []
    for indices in by_label.values():
        share = round(size * len(indices) / len(labels))
        picked.extend(rng.sample(indices, share))
    return sorted(picked)
