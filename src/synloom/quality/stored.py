"""Quality scores in a run's store: one `scores` row per metric, plus bookkeeping rows.

Rows: each metric under its suite name (`distinct_n`, `mauve`, ...), and `score:settings`
(options, sizes, which metric rows belong to the latest scoring), `score:skipped` (name -> why),
`score:timings_s` and `score:plot_data` (length counts and the 2-D embedding map the report
draws). A rescoring rewrites them in one transaction; metric rows a later scoring did not
produce stay in the table but are not listed in its settings, so `load_scores` ignores them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synloom.store import RunStore

SETTINGS = "score:settings"
SKIPPED = "score:skipped"
TIMINGS = "score:timings_s"
PLOT_DATA = "score:plot_data"


def save_scores(store: RunStore, result: dict[str, Any]) -> int:
    """Write a `score_run` result; returns the number of metric rows written."""
    metrics = result["metrics"]
    settings = dict(result.get("settings", {}))
    settings["n_samples"] = result.get("n_samples")
    settings["metrics"] = list(metrics)
    with store.transaction():
        for name, value in metrics.items():
            store.put_score(name, value)
        store.put_score(SETTINGS, settings)
        store.put_score(SKIPPED, result.get("skipped", {}))
        store.put_score(TIMINGS, result.get("timings_s", {}))
        store.put_score(PLOT_DATA, result.get("plot_data", {}))
    return len(metrics)


def load_scores(store: RunStore) -> dict[str, Any] | None:
    """The latest scoring in `score_run`'s shape, or None if the run was never scored."""
    rows = store.scores()
    settings = rows.get(SETTINGS)
    if settings is None:
        return None
    names = settings.get("metrics", [])
    return {
        "n_samples": settings.get("n_samples"),
        "metrics": {name: rows[name] for name in names if name in rows},
        "skipped": rows.get(SKIPPED, {}),
        "timings_s": rows.get(TIMINGS, {}),
        "settings": settings,
        "plot_data": rows.get(PLOT_DATA, {}),
    }
