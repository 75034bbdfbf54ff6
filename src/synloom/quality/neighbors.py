"""Nearest neighbour by cosine similarity, in blocks so 100k × 100k never materialises."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.errors import SynloomError

if TYPE_CHECKING:
    import numpy as np


def unit_rows(x: np.ndarray, dtype: str = "float32") -> np.ndarray:
    """Rows scaled to unit L2 norm (float32 by default); an all-zero row is an error."""
    import numpy as np

    x = np.asarray(x, dtype=dtype)
    if x.ndim != 2:
        raise SynloomError(f"embeddings must be a 2-D array, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise SynloomError("embeddings contain an all-zero row; cosine is undefined")
    return x / norms


def nearest_cosine(
    queries: np.ndarray, reference: np.ndarray, block: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row: (highest cosine to any reference row, that row's index)."""
    import numpy as np

    q, r = unit_rows(queries), unit_rows(reference)
    if q.shape[1] != r.shape[1]:
        raise SynloomError(f"embedding widths differ: {q.shape[1]} vs {r.shape[1]}")
    if len(r) == 0:
        raise SynloomError("nearest neighbour needs a non-empty reference set")
    sims = np.empty(len(q), dtype=np.float64)
    idx = np.empty(len(q), dtype=np.int64)
    for start in range(0, len(q), block):
        s = q[start : start + block] @ r.T
        best = s.argmax(axis=1)
        idx[start : start + block] = best
        sims[start : start + block] = np.clip(s[np.arange(len(best)), best], -1.0, 1.0)
    return sims, idx
