"""The label-conditioned prompt recipes' shared machinery (ZeroGen and few-shot build on it):
an optional context stage, then a sample stage whose requests fill the recipe's prompt with the
label, a context (given, or drawn from the context stage's outputs), one value per attribute and
whatever the recipe adds before the prompt (`prefix`)."""

from __future__ import annotations

import random
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from synloom.backends.base import GenerationParams
from synloom.errors import SynloomError
from synloom.prompts import ParseResult, PromptBuilder
from synloom.prompts.records import record_instructions
from synloom.recipes.base import (
    CONTEXT_STAGE,
    SAMPLE_STAGE,
    Recipe,
    StagePlan,
    budget_counts,
    interleave,
    make_request,
    request_rng,
)
from synloom.recipes.records import parse_record, record_model
from synloom.spec.contexts import read_contexts_file
from synloom.spec.records import schema_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from synloom.recipes.base import RoundState
    from synloom.spec import PromptRecipeConfig
    from synloom.store import PlannedRequest


def load_contexts(recipe: PromptRecipeConfig) -> list[str] | None:
    """Given contexts of the recipe (inline or from its contexts file), or None."""
    if recipe.contexts:
        return list(recipe.contexts)
    if recipe.contexts_file is None:
        return None
    return read_contexts_file(recipe.contexts_file, recipe.contexts_column)


class PromptRecipe(Recipe):
    """Context stage (when the config has one), then the sample stage."""

    @property
    def recipe(self) -> PromptRecipeConfig:
        return self.spec.recipe  # type: ignore[return-value]

    @cached_property
    def builder(self) -> PromptBuilder:
        return PromptBuilder(self.spec)

    @cached_property
    def given_contexts(self) -> list[str] | None:
        return load_contexts(self.recipe)

    def stages(self) -> list[StagePlan]:
        gen = self.spec.generation
        stop = tuple(gen.stop)
        stages = []
        if (cs := self.recipe.context_stage) is not None:
            params = GenerationParams(
                cs.max_new_tokens, gen.temperature, gen.top_p, gen.top_k, stop
            )
            stages.append(
                StagePlan(CONTEXT_STAGE, [None], cs.count, params, cs.min_words, cs.max_words)
            )
        params = GenerationParams(
            gen.max_new_tokens,
            gen.temperature,
            gen.top_p,
            gen.top_k,
            stop,
            self_debias_decay=self.recipe.self_debias_decay,
        )
        if (fields := self.recipe.record_fields) is not None:  # the object ends a record
            params = replace(params, stop=(), json_schema=schema_text(fields))
        stages.append(
            StagePlan(
                SAMPLE_STAGE,
                list(self.spec.label_names),
                gen.samples_per_label,
                params,
                self.recipe.min_words,
                self.recipe.max_words,
                pair=self.spec.is_pair,
            )
        )
        return stages

    @cached_property
    def record_suffix(self) -> str:
        """What a structured-record prompt adds after the prompt (the fields); empty otherwise."""
        fields = self.recipe.record_fields
        return "" if fields is None else record_instructions(fields)

    def parse(
        self, stage: StagePlan, request: PlannedRequest, text: str, finish_reason: str
    ) -> ParseResult:
        """A structured record's sample is parsed and validated as one (`recipes/records.py`)."""
        fields = self.recipe.record_fields
        if fields is None or stage.name != SAMPLE_STAGE:
            return super().parse(stage, request, text, finish_reason)
        return parse_record(text, record_model(fields))

    def contexts(self, state: RoundState) -> list[str] | None:
        """What `{context}` is drawn from: the given contexts, or the context stage's outputs."""
        if self.recipe.context_stage is None:
            return self.given_contexts
        contexts = [s.text for s in state.accepted(CONTEXT_STAGE)]
        if not contexts:
            raise SynloomError("the context stage produced no usable contexts; raise its count")
        return contexts

    def prefix(self, label: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
        """Text put before the prompt and what it adds to the request's meta (drawn with the
        request's `rng` after its context and attributes); nothing here."""
        return "", {}

    def attribute_drawer(self, state: RoundState) -> Callable[[str, random.Random], dict[str, str]]:
        """How a request of the round draws its attributes (given its label and RNG, after its
        context): one value per dimension of the spec's `attributes` here; AttrPrompt draws its
        class-dependent values too."""
        return lambda label, rng: self.builder.sample_attributes(rng)

    def plan_round(self, state: RoundState) -> list[PlannedRequest]:
        return self.plan_requests(state, budget_counts(state), self.prefix)

    def plan_requests(
        self,
        state: RoundState,
        counts: dict[str | None, int],
        prefix: Callable[[str, random.Random], tuple[str, dict[str, Any]]],
    ) -> list[PlannedRequest]:
        """`counts[label]` requests per label in plan order, each with what `prefix` (given the
        label and the request's RNG) puts before its prompt."""
        order = interleave(counts, state.stage.labels)
        if state.stage.name == CONTEXT_STAGE:
            prompt = self.recipe.context_stage.prompt  # type: ignore[union-attr]
            return [make_request(state, idx, label, prompt) for idx, (label, _) in enumerate(order)]
        contexts = self.contexts(state) if order else None
        draw_attributes = self.attribute_drawer(state) if order else None
        requests = []
        for idx, (label, i) in enumerate(order):
            rng = request_rng(state, label, i)
            context = rng.choice(contexts) if contexts else None
            attributes = draw_attributes(label, rng)  # type: ignore[misc]
            before, meta = prefix(label, rng)
            prompt = (
                self.builder.render(label, context=context, attributes=attributes, prefix=before)
                + self.record_suffix
            )
            if attributes:
                meta["attributes"] = attributes
            if context is not None:
                meta["context"] = context
            meta["pair"] = self.spec.is_pair
            if self.recipe.self_debias_decay is not None:
                # the other labels' prompts, alike but for the label (self-debiasing)
                meta["counter_prompts"] = [
                    self.builder.render(
                        other, context=context, attributes=attributes, prefix=before
                    )
                    + self.record_suffix
                    for other in state.stage.labels
                    if other != label
                ]
            requests.append(make_request(state, idx, label, prompt, context=context, meta=meta))
        return requests
