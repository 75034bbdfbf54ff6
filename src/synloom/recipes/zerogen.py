"""ZeroGen (Ye et al., "ZeroGen: Efficient Zero-shot Learning via Dataset Generation", EMNLP
2022): zero-shot label-conditioned prompts, optionally about contexts that a first stage
generates (movie names, then reviews of them)."""

from __future__ import annotations

from typing import Literal

from synloom.recipes.prompted import PromptRecipe
from synloom.spec.recipe import PromptRecipeConfig


class ZeroGenRecipe(PromptRecipeConfig):
    """ZeroGen (Ye et al., EMNLP 2022): zero-shot label-conditioned prompts, optional context stage."""

    type: Literal["zerogen"] = "zerogen"
    prompt: str = 'The movie review in {verbalizer} sentiment is: "'


class ZeroGen(PromptRecipe):
    """The prompt alone: nothing before it."""

    config = ZeroGenRecipe
