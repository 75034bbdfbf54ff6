"""Task specs: pure pydantic declarations, importable without torch. YAML round-trip in `synloom.spec.io`."""

from __future__ import annotations

from synloom.spec.backend import BackendConfig, LocalBackendConfig, OpenAIBackendConfig
from synloom.spec.generation import GenerationConfig
from synloom.spec.io import dump_spec, load_spec, parse_spec
from synloom.spec.recipe import FewShotRecipe, RecipeConfig, ZeroGenRecipe
from synloom.spec.task import Label, SeedExample, TaskKind, TaskSpec

__all__ = [
    "BackendConfig",
    "FewShotRecipe",
    "GenerationConfig",
    "Label",
    "LocalBackendConfig",
    "OpenAIBackendConfig",
    "RecipeConfig",
    "SeedExample",
    "TaskKind",
    "TaskSpec",
    "ZeroGenRecipe",
    "dump_spec",
    "load_spec",
    "parse_spec",
]
