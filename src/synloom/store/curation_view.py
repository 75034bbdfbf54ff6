"""A finished curation as `open_run(run_dir, curation=NAME)` reads it, checked against the run.

The view is read in the same read-only session as the samples, so decisions and samples are one
snapshot. A curation that is unknown, unfinished, or decided on another set of accepted samples
than the run holds now is a one-line StoreError that says what to run. The quality scores of a
curation's kept samples are `scores` rows under the prefix `curation:NAME/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synloom.errors import StoreError
from synloom.store.curations import DONE, Decision, check_curation_name

SCORES_PREFIX = "curation:"  # `scores` rows of a curated `synloom score`: curation:NAME/ROW

if TYPE_CHECKING:
    from synloom.store.records import Sample
    from synloom.store.run_store import RunStore


def scores_prefix(name: str) -> str:
    """The prefix of the `scores` rows `synloom score --curation NAME` writes."""
    return f"{SCORES_PREFIX}{check_curation_name(name)}/"


def score_rows_of(rows: dict[str, Any], curation: str | None) -> dict[str, Any]:
    """The `scores` rows of one scoring: the uncurated one's (no curation prefix), or those of
    `curation`'s kept samples with their prefix taken off."""
    if curation is None:
        return {k: v for k, v in rows.items() if not k.startswith(SCORES_PREFIX)}
    prefix = scores_prefix(curation)
    return {k[len(prefix) :]: v for k, v in rows.items() if k.startswith(prefix)}


@dataclass(frozen=True)
class CurationView:
    """One finished curation: its settings, per-sample decisions, scores and steps."""

    name: str
    settings: dict[str, Any]
    status: str
    summary: dict[str, Any] | None
    decisions: dict[str, Decision]  # sample id -> decision, for every accepted sample
    scores: dict[str, dict[str, float]]  # method -> sample id -> score (NaN: not scored)
    details: dict[str, dict[str, dict[str, Any]]]  # method -> sample id -> its details
    steps: dict[int, tuple[str, dict[str, Any]]]  # step -> (method, summary)

    @property
    def weighted(self) -> bool:
        """Whether the curation weights samples (its settings say so, or a weight is not 1)."""
        return self.settings.get("weighted") is True or any(
            d.weight != 1.0 for d in self.decisions.values()
        )

    def kept(self, pool: tuple[Sample, ...]) -> tuple[Sample, ...]:
        return tuple(s for s in pool if self.decisions[s.id].kept)


def read_curation(store: RunStore, name: str, pool: tuple[Sample, ...]) -> CurationView:
    """The finished curation `name` of the store, checked to cover exactly `pool`."""
    check_curation_name(name)
    run_dir = store.run_dir
    record = store.curation(name)
    if record is None:
        names = store.curation_names()
        have = f"its curations: {', '.join(names)}" if names else "it has none"
        raise StoreError(f"{run_dir} has no curation {name} ({have}); run synloom curate first")
    if record.status != DONE:
        raise StoreError(
            f"curation {name} is unfinished; rerun the same synloom curate command to finish it"
        )
    decisions = store.decisions(name)
    unseen = sum(1 for s in pool if s.id not in decisions)
    if unseen:
        raise StoreError(
            f"the run has {unseen} accepted samples curation {name} did not see; rerun"
            f" synloom curate {run_dir} --name {name} --replace"
        )
    gone = len(decisions) - len(pool)
    if gone:
        raise StoreError(
            f"curation {name} decided on {gone} samples the run no longer holds as accepted;"
            f" rerun synloom curate {run_dir} --name {name} --replace"
        )
    stored = store.curation_scores(name)
    return CurationView(
        name=name,
        settings=record.settings,
        status=record.status,
        summary=record.summary,
        decisions=decisions,
        scores={m: {i: s for i, (s, _) in rows.items()} for m, rows in stored.items()},
        details={m: {i: d for i, (_, d) in rows.items()} for m, rows in stored.items()},
        steps=store.finished_steps(name),
    )
