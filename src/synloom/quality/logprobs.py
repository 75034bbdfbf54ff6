"""The one model call quality metrics need: per-token log-probs from any backend's `score`.

`ScoreFn(prompts, continuations) -> list[np.ndarray]` is `Backend.score` (natural-log
probabilities of each continuation's tokens given its prompt). Metrics take numbers; these
helpers turn texts into those numbers in batches so one callable serves every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from synloom.progress import step

if TYPE_CHECKING:
    import numpy as np

ScoreFn = Callable[[Sequence[str], Sequence[str]], list["np.ndarray"]]


def score_in_batches(
    score: ScoreFn,
    prompts: Sequence[str],
    continuations: Sequence[str],
    batch_size: int = 64,
    description: str = "LM scoring",
    unit: str = "texts",
) -> list[np.ndarray]:
    """Call `score` on slices of at most `batch_size` pairs, keeping the order (a progress step
    called `description` counts the pairs)."""
    out: list[np.ndarray] = []
    with step(description, len(prompts), unit) as progress:
        for start in range(0, len(prompts), batch_size):
            out.extend(
                score(
                    prompts[start : start + batch_size], continuations[start : start + batch_size]
                )
            )
            progress.advance(len(prompts[start : start + batch_size]))
    return out


def text_truncator(score: ScoreFn) -> Callable[..., Any] | None:
    """The `truncate_texts(texts, max_tokens)` of the backend whose bound `score` this is, if
    it has one (local backends do; HTTP backends cannot tokenize)."""
    return getattr(getattr(score, "__self__", None), "truncate_texts", None)
