"""Task specs: pure pydantic declarations, importable without torch. YAML round-trip in `synloom.spec.io`."""

from __future__ import annotations

from synloom.spec.backend import BackendConfig, LocalBackendConfig, OpenAIBackendConfig
from synloom.spec.generation import GenerationConfig
from synloom.spec.io import dump_spec, load_spec, parse_spec
from synloom.spec.recipe import (
    ContextStage,
    PromptRecipeConfig,
    RecipeConfig,
    load_recipe,
    recipe_names,
)
from synloom.spec.seed_files import SeedFile
from synloom.spec.task import Label, SeedExample, TaskKind, TaskSpec

__all__ = [
    "BackendConfig",
    "ContextStage",
    "GenerationConfig",
    "Label",
    "LocalBackendConfig",
    "OpenAIBackendConfig",
    "PromptRecipeConfig",
    "RecipeConfig",
    "SeedExample",
    "SeedFile",
    "TaskKind",
    "TaskSpec",
    "dump_spec",
    "load_recipe",
    "load_spec",
    "parse_spec",
    "recipe_names",
]
