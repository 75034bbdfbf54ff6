"""Generation recipes, one module each (`zerogen`, `fewshot`), found by name through the lazy
registry `RECIPES` of `synloom.spec.recipe` and the `synloom.recipes` entry-point group. Each owns
its config class and checks, the stages it runs and `plan_round(state)`; the engine
(`synloom.generate`) does the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.recipes.base import (
    CONTEXT_STAGE,
    SAMPLE_STAGE,
    Recipe,
    RoundPlan,
    RoundState,
    StagePlan,
    make_request,
)
from synloom.spec.recipe import load_recipe

if TYPE_CHECKING:
    from synloom.spec import TaskSpec

__all__ = [
    "CONTEXT_STAGE",
    "SAMPLE_STAGE",
    "Recipe",
    "RoundPlan",
    "RoundState",
    "StagePlan",
    "make_request",
    "recipe_for",
]


def recipe_for(spec: TaskSpec) -> Recipe:
    """The recipe a spec names, built for it."""
    recipe = load_recipe(spec.recipe.type)(spec)
    if not isinstance(recipe, Recipe):
        from synloom.errors import SynloomError

        raise SynloomError(f"recipe {spec.recipe.type!r} is not a synloom.recipes.Recipe")
    return recipe
