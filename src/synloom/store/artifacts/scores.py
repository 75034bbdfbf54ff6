"""The quality scores `synloom score` stores in a run's `scores` table."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from synloom.spec.base import Int, Real
from synloom.store.artifacts.base import Artifact, validated

SCORES_VERSION = 1

# Rows of the store's `scores` table besides one per metric.
SETTINGS = "score:settings"
SKIPPED = "score:skipped"
TIMINGS = "score:timings_s"
PLOT_DATA = "score:plot_data"
PER_SAMPLE = "score:per_sample"  # absent in runs scored before it existed: no per-sample values
SCORES_SCHEMA = "score:schema_version"  # absent in runs scored before it existed: version 1


class ScoreSettings(Artifact):
    """How a scoring ran; `metrics` lists the metric rows that belong to it."""

    metrics: list[str] = Field(default_factory=list)
    n_samples: Int | None = None
    reference: str | None = None
    n_reference: Int = 0
    n_seed_texts: Int = 0
    scorer: str | None = None
    max_model_samples: Int | None = None
    scored_at: Real | None = None
    duration_s: Real = 0.0


class LengthPlot(Artifact):
    unit: str = "words"
    synthetic: dict[str, dict[str, Int]] = Field(default_factory=dict)
    reference: dict[str, dict[str, Int]] | None = None


class PlotData(Artifact):
    """What the report draws without a model: length counts and the 2-D embedding map."""

    lengths: LengthPlot | None = None
    embedding_map: dict[str, Any] | None = None


class StoredScores(Artifact):
    """The latest scoring of a run (`synloom score`), in `score_run`'s shape.

    `per_sample`: column (`perplexity`, `relabel_margin`, `relabel_label`) -> sample id -> value,
    for the samples the LM metrics scored (at most `settings.max_model_samples`; the others have
    none); a value is None where it was undefined. `sample_values(column)` reads one column."""

    schema_version: Int = SCORES_VERSION
    n_samples: Int | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(default_factory=dict)
    timings_s: dict[str, Any] = Field(default_factory=dict)
    settings: ScoreSettings = Field(default_factory=ScoreSettings)
    plot_data: PlotData = Field(default_factory=PlotData)
    per_sample: dict[str, dict[str, float | str | None]] = Field(default_factory=dict)

    def sample_values(self, column: str) -> dict[str, float | str | None]:
        """Sample id -> value of one per-sample column ({} when the scoring kept none)."""
        return dict(self.per_sample.get(column, {}))

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> StoredScores:
        """A `score_run` result, with `settings` completed by the sample count and metric names."""
        settings = dict(result.get("settings", {}))
        settings["n_samples"] = result.get("n_samples")
        settings["metrics"] = list(result["metrics"])
        keys = ("skipped", "timings_s", "plot_data", "per_sample")
        data = {k: result[k] for k in keys if k in result}
        data |= {"n_samples": result.get("n_samples"), "metrics": result["metrics"]}
        return validated(cls, data | {"settings": settings}, "the scores to store")

    @classmethod
    def from_rows(cls, rows: dict[str, Any], where: str = "stored scores") -> StoredScores | None:
        """From the `scores` table (name -> value); None if the run was never scored. Metric rows
        an earlier scoring left but the latest one's settings do not list are ignored."""
        settings = rows.get(SETTINGS)
        if settings is None:
            return None
        names = settings.get("metrics", []) if isinstance(settings, dict) else []
        data = {
            "schema_version": rows.get(SCORES_SCHEMA, 1),
            "n_samples": settings.get("n_samples") if isinstance(settings, dict) else None,
            "metrics": {name: rows[name] for name in names if name in rows},
            "skipped": rows.get(SKIPPED, {}),
            "timings_s": rows.get(TIMINGS, {}),
            "settings": settings,
            "plot_data": rows.get(PLOT_DATA, {}),
            "per_sample": rows.get(PER_SAMPLE, {}),
        }
        return validated(cls, data, where)

    def rows(self) -> dict[str, Any]:
        """Name -> value of every `scores` row this scoring writes."""
        return dict(self.metrics) | {
            SETTINGS: self.settings.model_dump(exclude_unset=True),
            SKIPPED: self.skipped,
            TIMINGS: self.timings_s,
            PLOT_DATA: self.plot_data.model_dump(exclude_unset=True),
            PER_SAMPLE: self.per_sample,  # always written: a rescoring replaces the last one's
            SCORES_SCHEMA: self.schema_version,
        }

    def result(self) -> dict[str, Any]:
        """`score_run`'s dict shape, as the stored rows hold it (`per_sample` only when the
        scoring kept per-sample values)."""
        out = {
            "n_samples": self.n_samples,
            "metrics": dict(self.metrics),
            "skipped": dict(self.skipped),
            "timings_s": dict(self.timings_s),
            "settings": self.settings.model_dump(exclude_unset=True),
            "plot_data": self.plot_data.model_dump(exclude_unset=True),
        }
        if self.per_sample:
            out["per_sample"] = {c: dict(v) for c, v in self.per_sample.items()}
        return out
