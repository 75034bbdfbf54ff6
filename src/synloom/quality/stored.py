"""Quality scores in a run's store: one `scores` row per metric, plus bookkeeping rows.

Rows: each metric under its suite name (`distinct_n`, `mauve`, ...), and `score:settings`
(options, sizes, which metric rows belong to the latest scoring), `score:skipped` (name -> why),
`score:timings_s`, `score:plot_data` (length counts and the 2-D embedding map the report draws)
and `score:schema_version`. A rescoring rewrites them in one transaction; metric rows a later
scoring did not produce stay in the table but are not listed in its settings, so `load_scores`
ignores them. The typed form, shared with the report, is `synloom.store.artifacts.StoredScores`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synloom.store.artifacts import PLOT_DATA, SETTINGS, SKIPPED, TIMINGS, StoredScores

if TYPE_CHECKING:
    from synloom.store import RunStore

__all__ = ["PLOT_DATA", "SETTINGS", "SKIPPED", "TIMINGS", "load_scores", "save_scores"]


def save_scores(store: RunStore, result: dict[str, Any]) -> int:
    """Write a `score_run` result; returns the number of metric rows written."""
    scores = StoredScores.from_result(result)
    with store.transaction():
        for name, value in scores.rows().items():
            store.put_score(name, value)
    return len(scores.metrics)


def load_scores(store: RunStore) -> dict[str, Any] | None:
    """The latest scoring in `score_run`'s shape, or None if the run was never scored."""
    scores = StoredScores.from_rows(store.scores(), f"the stored scores of {store.run_dir}")
    return None if scores is None else scores.result()
