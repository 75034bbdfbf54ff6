"""Small, model-free summaries kept with the scores so a report can plot without any model.

- `length_counts`: words (`synloom.quality.tokens.words`) per sample, counted per label (the
  histogram's raw material);
- `embedding_map`: a 2-D PCA projection of synthetic and real embeddings (at most
  `max_points` per side, seeded subsample), with each point's label and a short text.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from synloom.quality.tokens import word_count
from synloom.sampling import subsample_indices

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

MAX_POINTS = 2000
TEXT_CHARS = 120


def length_counts(texts: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """{label: {words: count}}; keys are strings so the dict survives a JSON round trip."""
    counts: dict[str, Counter] = {}
    for text, label in zip(texts, labels, strict=True):
        counts.setdefault(label, Counter())[word_count(text)] += 1
    return {
        label: {str(n): c for n, c in sorted(counter.items())}
        for label, counter in sorted(counts.items())
    }


def embedding_map(
    embeddings: np.ndarray,
    labels: Sequence[str],
    texts: Sequence[str],
    reference_embeddings: np.ndarray | None = None,
    reference_labels: Sequence[str] | None = None,
    reference_texts: Sequence[str] | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
) -> dict[str, Any]:
    """PCA (fit on the plotted points of both sides together) to two dimensions.

    Returns `explained_variance` (share of each axis) and per side (`synthetic`, `reference`)
    the columns `x`, `y`, `label`, `text` plus `n_total`, the size before subsampling.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    sides = {"synthetic": (np.asarray(embeddings, dtype=np.float64), labels, texts)}
    if reference_embeddings is not None and len(reference_embeddings):
        sides["reference"] = (
            np.asarray(reference_embeddings, dtype=np.float64),
            reference_labels or [""] * len(reference_embeddings),
            reference_texts or [""] * len(reference_embeddings),
        )
    picked = {}
    for side, (emb, _, _) in sides.items():
        picked[side] = subsample_indices(len(emb), max_points, rng)
    stacked = np.vstack([sides[s][0][picked[s]] for s in sides])
    centered = stacked - stacked.mean(axis=0)
    _, sing, vt = np.linalg.svd(centered, full_matrices=False)
    components = vt[:2]
    coords = centered @ components.T
    if coords.shape[1] < 2:  # fewer than two points or dimensions
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    # Deterministic orientation: the largest-magnitude loading of each axis is positive.
    for k in range(min(2, len(components))):
        if components[k][np.argmax(np.abs(components[k]))] < 0:
            coords[:, k] *= -1
    total = float((sing**2).sum()) or 1.0
    out: dict[str, Any] = {
        "method": "pca",
        "explained_variance": [round(float(s**2) / total, 4) for s in sing[:2]],
    }
    start = 0
    for side, (emb, side_labels, side_texts) in sides.items():
        idx = picked[side]
        xy = coords[start : start + len(idx)]
        start += len(idx)
        out[side] = {
            "x": [round(float(v), 4) for v in xy[:, 0]],
            "y": [round(float(v), 4) for v in xy[:, 1]],
            "label": [side_labels[i] for i in idx],
            "text": [_short(side_texts[i]) for i in idx],
            "n_total": len(emb),
        }
    return out


def _short(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"
