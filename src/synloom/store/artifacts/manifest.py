"""The run manifest, and the outline of the spec it keeps."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from synloom.spec.base import Int, Real
from synloom.store.artifacts.base import Artifact, validated
from synloom.store.schema import SCHEMA_VERSION


class OutlineTask(Artifact):
    kind: str | None = None


class OutlineRecipe(Artifact):
    type: str | None = None


class OutlineBackend(Artifact):
    type: str | None = None
    model: str | None = None


class OutlineLabel(Artifact):
    name: str


class SpecOutline(Artifact):
    """The few spec fields a summary shows, read leniently from a stored spec of any version."""

    name: str | None = None
    task: OutlineTask = Field(default_factory=OutlineTask)
    labels: list[OutlineLabel] = Field(default_factory=list)
    recipe: OutlineRecipe = Field(default_factory=OutlineRecipe)
    backend: OutlineBackend = Field(default_factory=OutlineBackend)

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]


class BudgetStep(Artifact):
    """One budget a run was generated with: `samples_per_label` from sample round `first_round`
    on (0 for the budget the run started with; a top-up's first round), set at `at`."""

    samples_per_label: Int
    first_round: Int = 0
    at: Real | None = None
    spec_hash: str | None = None


class Manifest(Artifact):
    """What `generate` records about a run (`synloom.generate.manifest` writes it). Runs made
    before hash version 2 lack `hash_version`, `data_fingerprint` and `contexts_sha256`."""

    schema_version: Int = SCHEMA_VERSION  # the store's schema, written by `write_manifest`
    spec: dict[str, Any] | None = None  # `spec_to_dict` of the TaskSpec, kept as written
    spec_hash: str | None = None
    hash_version: Int | None = None
    data_fingerprint: dict[str, Any] | None = None
    contexts_sha256: str | None = None
    seed: Int | None = None
    created_at: Real | None = None
    versions: dict[str, str | None] = Field(default_factory=dict)
    # every budget the run was generated with, oldest first (runs made before top-ups existed
    # have none: `budget_history` gives their one budget)
    budgets: list[BudgetStep] = Field(default_factory=list)
    # what the generator actually loaded (`synloom.generate.manifest.record_backend`): model,
    # the hub commit when known, dtype, device; one entry per distinct load, oldest first (runs
    # made before it existed have none). Not part of the spec hash or the data fingerprint.
    loaded_backends: list[dict[str, Any]] = Field(default_factory=list)

    def budget_history(self) -> list[BudgetStep]:
        """The budgets, oldest first: `budgets`, or the spec's budget from round 0."""
        if self.budgets:
            return list(self.budgets)
        generation = (self.spec or {}).get("generation")
        budget = generation.get("samples_per_label") if isinstance(generation, dict) else None
        if not isinstance(budget, int):
            return []
        return [BudgetStep(samples_per_label=budget, first_round=0, at=self.created_at)]

    def outline(self) -> SpecOutline:
        return validated(SpecOutline, self.spec or {}, "the spec in the run manifest")

    def values(self) -> dict[str, Any]:
        """The manifest rows to store (key -> JSON value); no `budgets` or `loaded_backends`
        row while it is empty."""
        values = self.model_dump()
        for key in ("budgets", "loaded_backends"):
            if not values[key]:
                del values[key]
        return values
