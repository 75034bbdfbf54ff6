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

    def outline(self) -> SpecOutline:
        return validated(SpecOutline, self.spec or {}, "the spec in the run manifest")

    def values(self) -> dict[str, Any]:
        """The manifest rows to store (key -> JSON value)."""
        return self.model_dump()
