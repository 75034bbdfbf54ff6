"""Quality scores in a run's store: one `scores` row per metric, plus bookkeeping rows.

Rows: each metric under its suite name (`distinct_n`, `mauve`, ...), and `score:settings`
(options, sizes, which metric rows belong to the latest scoring), `score:skipped` (name -> why),
`score:timings_s`, `score:plot_data` (length counts and the 2-D embedding map the report draws),
`score:per_sample` (the LM metrics' values per scored sample id: the report's sample explorer
sorts by them) and `score:schema_version`. A rescoring rewrites them in one transaction; metric rows a later
scoring did not produce stay in the table but are not listed in its settings, so `load_scores`
ignores them. The typed form, shared with the report, is `synloom.store.artifacts.StoredScores`.

The scores of a curation's kept samples (`synloom score --curation NAME`) are the same rows under
the prefix `curation:NAME/`, so they never overwrite the uncurated ones; `open_run(run_dir,
curation=NAME).scores` reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synloom.store.artifacts import PLOT_DATA, SETTINGS, SKIPPED, TIMINGS, StoredScores
from synloom.store.curation_view import score_rows_of, scores_prefix

if TYPE_CHECKING:
    from synloom.store import RunStore

__all__ = ["PLOT_DATA", "SETTINGS", "SKIPPED", "TIMINGS", "load_scores", "save_scores"]


def save_scores(store: RunStore, result: dict[str, Any], curation: str | None = None) -> int:
    """Write a `score_run` result (of `curation`'s kept samples, under its prefix); returns the
    number of metric rows written."""
    scores = StoredScores.from_result(result)
    prefix = "" if curation is None else scores_prefix(curation)
    with store.transaction():
        for name, value in scores.rows().items():
            store.put_score(prefix + name, value)
    return len(scores.metrics)


def load_scores(store: RunStore, curation: str | None = None) -> dict[str, Any] | None:
    """The latest scoring (of `curation`'s kept samples) in `score_run`'s shape, or None if it
    was never scored."""
    rows = score_rows_of(store.scores(), curation)
    scores = StoredScores.from_rows(rows, f"the stored scores of {store.run_dir}")
    return None if scores is None else scores.result()
