"""Generation recipes as declarations. The prompt logic lives in `synloom.prompts`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from synloom.spec.base import SpecModel


class ContextStage(SpecModel):
    """ZeroGen stage 1: generate short contexts (e.g. movie names) to fill `{context}` in stage 2."""

    prompt: str = 'Movie: "'
    count: int = Field(100, ge=1, description="distinct contexts wanted")
    max_new_tokens: int = Field(10, ge=1)
    min_words: int = Field(1, ge=1)
    max_words: int = Field(12, ge=1)


class _PromptRecipe(SpecModel):
    prompt: str = Field(description="label-conditioned prompt; ends where the sample should begin")
    label_prompts: dict[str, str] = Field(
        default_factory=dict, description="per-label prompt overriding `prompt`"
    )
    context_stage: ContextStage | None = None
    contexts: list[str] | None = Field(
        None, description="given contexts; for pair tasks the unlabeled first sentences"
    )
    contexts_file: str | None = Field(
        None,
        description="JSONL (field `text`) or plain-text file of contexts, relative to the spec",
    )
    min_words: int = Field(3, ge=1)
    max_words: int | None = Field(None, ge=1)


class ZeroGenRecipe(_PromptRecipe):
    """ZeroGen (Ye et al., EMNLP 2022): zero-shot label-conditioned prompts, optional context stage."""

    type: Literal["zerogen"] = "zerogen"
    prompt: str = 'The movie review in {verbalizer} sentiment is: "'


class FewShotRecipe(_PromptRecipe):
    """In-context examples of the same label before the prompt (the form ProGen uses, Ye et al. 2022b)."""

    type: Literal["fewshot"] = "fewshot"
    prompt: str = 'The movie review in {verbalizer} sentiment is: "'
    example_template: str = 'The movie review in {verbalizer} sentiment is: "{text}"\n'
    k: int = Field(3, ge=1, description="same-label seed examples per request")
    example_ratio: float = Field(
        1.0, ge=0.0, le=1.0, description="share of requests that get examples (ProGen used 0.5)"
    )


RecipeConfig = Annotated[ZeroGenRecipe | FewShotRecipe, Field(discriminator="type")]
