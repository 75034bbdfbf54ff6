"""Generation recipes as declarations. The prompt logic lives in `synloom.prompts`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from synloom.spec.base import Int, Real, SpecModel

MAX_WORDS = 10_000


def _check_word_range(min_words: int, max_words: int | None) -> None:
    if max_words is not None and min_words > max_words:
        raise ValueError(
            f"min_words ({min_words}) is larger than max_words ({max_words}); no output could pass"
        )


class ContextStage(SpecModel):
    """ZeroGen stage 1: generate short contexts (e.g. movie names) to fill `{context}` in stage 2."""

    prompt: str = Field('Movie: "', min_length=1)
    count: Int = Field(100, ge=1, le=1_000_000, description="distinct contexts wanted")
    max_new_tokens: Int = Field(10, ge=1, le=32768)
    min_words: Int = Field(1, ge=1, le=MAX_WORDS)
    max_words: Int = Field(12, ge=1, le=MAX_WORDS)

    @model_validator(mode="after")
    def _check_words(self) -> ContextStage:
        _check_word_range(self.min_words, self.max_words)
        return self


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
        min_length=1,
        description="JSONL (field `text`) or plain-text file of contexts, relative to the spec",
    )
    min_words: Int = Field(3, ge=1, le=MAX_WORDS)
    max_words: Int | None = Field(None, ge=1, le=MAX_WORDS)

    @model_validator(mode="after")
    def _check_prompts(self) -> _PromptRecipe:
        if not self.prompt:
            raise ValueError("prompt must not be empty")
        for label, prompt in self.label_prompts.items():
            if not prompt:
                raise ValueError(f"label_prompts: the prompt for {label!r} is empty")
        for i, context in enumerate(self.contexts or []):
            if not context.strip():
                raise ValueError(f"contexts[{i}] is blank")
        _check_word_range(self.min_words, self.max_words)
        return self


class ZeroGenRecipe(_PromptRecipe):
    """ZeroGen (Ye et al., EMNLP 2022): zero-shot label-conditioned prompts, optional context stage."""

    type: Literal["zerogen"] = "zerogen"
    prompt: str = 'The movie review in {verbalizer} sentiment is: "'


class FewShotRecipe(_PromptRecipe):
    """In-context examples of the same label before the prompt (the form ProGen uses, Ye et al. 2022b)."""

    type: Literal["fewshot"] = "fewshot"
    prompt: str = 'The movie review in {verbalizer} sentiment is: "'
    example_template: str = 'The movie review in {verbalizer} sentiment is: "{text}"\n'
    k: Int = Field(3, ge=1, le=100, description="same-label seed examples per request")
    example_ratio: Real = Field(
        1.0, ge=0.0, le=1.0, description="share of requests that get examples (ProGen used 0.5)"
    )


RecipeConfig = Annotated[ZeroGenRecipe | FewShotRecipe, Field(discriminator="type")]
