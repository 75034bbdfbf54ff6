"""AttrPrompt (Yu et al., "Large Language Model as Attributed Training Data Generator: A Tale of
Diversity and Bias", NeurIPS 2023 Datasets & Benchmarks): each request's prompt carries one
value per attribute dimension (genre, subtopic, style, ...), and the values are written by the
generator itself, per class.

Stages, each planned from the store and resumable like any other:

1. `dimensions` (only with `propose_dimensions`): the generator lists dimensions to
   vary; the first `propose_dimensions` usable items join the given ones.
2. `values`: per (label, generated dimension) one request "List {n} diverse
   {dimension} related to {verbalizer} {task}"; a list with no usable item is rejected and asked
   again next round (`attribute_lists.py` parses it).
3. `filter` (`filter_values`): a value listed for another label too is dropped
   (`fits_other_class`) without asking; every other value is put to the generator as a yes/no
   question, "could an example of <the other labels> be about it?": yes drops it
   (`fits_other_class`), no keeps it as an accepted output (text = the value, label, and its
   dimension in meta), anything else drops it (`unclear_answer`).
4. The context stage, if any, and `sample`: each request draws one value per dimension for its
   label (`request_rng`), fills `{<dimension>}` or `{attributes}` in the prompt and records the
   draw in `meta["attributes"]`.

Every list item's decision (kept, or why not) is stored with the plan that first read its list
(`RoundPlan` annotations of the filter stage, or of the sample stage's round 0 without filter).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator

from synloom.backends.base import GenerationParams
from synloom.prompts import ParseResult, PromptBuilder
from synloom.recipes.attribute_lists import parse_answer, parse_list
from synloom.recipes.attribute_values import (
    DIMENSION_MAX_WORDS,
    DIMENSION_STAGE,
    FILTER_STAGE,
    VALUE_STAGE,
    AttributePlanner,
)
from synloom.recipes.base import SAMPLE_STAGE, RoundPlan, RoundState, StagePlan
from synloom.recipes.prompted import PromptRecipe
from synloom.spec import TaskSpec
from synloom.spec.base import Int, SpecModel
from synloom.spec.recipe import PromptRecipeConfig
from synloom.spec.templates import (
    LABEL_FIELDS,
    RESERVED_FIELDS,
    check_template,
    template_fields,
)
from synloom.store import PlannedRequest

ATTRIBUTES_FIELD = "attributes"  # the placeholder that lists every drawn value
LIST_STOP = ("\n\n",)  # a list ends at a blank line
# the filter's answer: greedy, a few tokens, the first word read
FILTER_PARAMS = GenerationParams(max_new_tokens=4, temperature=0.0, top_p=1.0, top_k=0)


class Dimension(SpecModel):
    """An attribute dimension: its name (the prompt's `{name}`) and, optionally, fixed values
    shared by every label; without `values` the generator writes them per label."""

    name: str = Field(min_length=1)
    values: list[str] | None = Field(None, min_length=1)

    @field_validator("values")
    @classmethod
    def _check_values(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not v.strip() for v in value):
            raise ValueError("attribute values must not be blank")
        return value


class AttrPromptRecipe(PromptRecipeConfig):
    """AttrPrompt (Yu et al., NeurIPS 2023): class-dependent attribute values by the generator."""

    type: Literal["attrprompt"] = "attrprompt"
    prompt: str = 'Write a {verbalizer} {task} example ({attributes}): "'
    dimensions: list[Dimension] = Field(default_factory=list)
    propose_dimensions: Int = Field(0, ge=0, le=20, description="dimensions the generator adds")
    dimension_prompt: str = (
        "List {n} attribute dimensions to vary when writing {task} examples, one per line.\n1."
    )
    values_per_dimension: Int = Field(5, ge=1, le=200, description="values asked per list")
    value_prompt: str = (
        "List {n} diverse {dimension} related to {verbalizer} {task}, one per line.\n1."
    )
    list_max_new_tokens: Int = Field(128, ge=8, le=32768)
    max_value_words: Int = Field(8, ge=1, le=100)
    filter_values: bool = True
    filter_prompt: str = (
        'Q: Could an example labeled "{other}" be about the {dimension} "{value}"? (yes/no)\nA:'
    )
    similar_labels: dict[str, list[str]] = Field(
        default_factory=dict, description="label -> the labels the filter asks about (all others)"
    )

    def prompt_fields(self, spec: Any) -> set[str]:
        return {d.name for d in self.dimensions} | {ATTRIBUTES_FIELD}

    def check(self, spec: TaskSpec) -> None:
        """The prompt checks, then: dimensions are named, usable and reach every prompt; the
        list and filter prompts fill; `similar_labels` names labels."""
        super().check(spec)
        names = [d.name for d in self.dimensions]
        if not names and not self.propose_dimensions:
            raise ValueError("recipe: attrprompt needs dimensions or propose_dimensions > 0")
        for name in names:
            if not name.isidentifier() or name in RESERVED_FIELDS | {ATTRIBUTES_FIELD}:
                raise ValueError(
                    f"recipe.dimensions: {name!r} must be a name like genre, and not one of "
                    f"{', '.join(sorted(RESERVED_FIELDS | {ATTRIBUTES_FIELD}))}"
                )
            if names.count(name) > 1 or name in spec.attributes:
                raise ValueError(f"recipe.dimensions: {name!r} is declared twice")
        templates = {"recipe.prompt": self.prompt} | {
            f"recipe.label_prompts.{k}": v for k, v in self.label_prompts.items()
        }
        for where, template in templates.items():
            used = template_fields(template)
            if ATTRIBUTES_FIELD in used:
                continue
            missing = [n for n in names if n not in used]
            if self.propose_dimensions:
                raise ValueError(
                    f"{where} must use {{attributes}}: proposed dimensions have no placeholder"
                )
            if missing:
                raise ValueError(
                    f"{where} does not use {', '.join('{' + m + '}' for m in missing)}: "
                    "use every dimension's placeholder, or {attributes}"
                )
        check_template(self.dimension_prompt, {"n", "task"}, "recipe.dimension_prompt")
        value_fields = LABEL_FIELDS | {"n", "dimension"}
        check_template(self.value_prompt, value_fields, "recipe.value_prompt")
        filter_fields = LABEL_FIELDS | {"value", "dimension", "other"}
        if "value" not in check_template(self.filter_prompt, filter_fields, "recipe.filter_prompt"):
            raise ValueError("recipe.filter_prompt must use {value}")
        labels = set(spec.label_names)
        for label, similar in self.similar_labels.items():
            unknown = sorted(({label} | set(similar)) - labels)
            if unknown:
                raise ValueError(f"recipe.similar_labels: unknown label(s) {', '.join(unknown)}")
            if not similar or label in similar:
                raise ValueError(
                    f"recipe.similar_labels.{label}: list other labels (at least one, not itself)"
                )


class AttributeBuilder(PromptBuilder):
    """Fills `{attributes}` too: every drawn value as `dimension: value`, joined by `; `."""

    def render(
        self,
        label: str,
        *,
        context: str | None = None,
        attributes: dict[str, str] | None = None,
        prefix: str = "",
    ) -> str:
        drawn = dict(attributes or {})
        listed = "; ".join(f"{dim}: {value}" for dim, value in drawn.items())
        return super().render(
            label, context=context, attributes={ATTRIBUTES_FIELD: listed} | drawn, prefix=prefix
        )


class AttrPrompt(PromptRecipe):
    """Dimensions (given or proposed), class-dependent values, the filter, then the samples."""

    config = AttrPromptRecipe

    @property
    def recipe(self) -> AttrPromptRecipe:
        return self.spec.recipe  # type: ignore[return-value]

    @cached_property
    def builder(self) -> AttributeBuilder:
        return AttributeBuilder(self.spec)

    @cached_property
    def planner(self) -> AttributePlanner:
        return AttributePlanner(self.spec, self.builder)

    def stages(self) -> list[StagePlan]:
        cfg, gen = self.recipe, self.spec.generation
        params = GenerationParams(
            cfg.list_max_new_tokens, gen.temperature, gen.top_p, gen.top_k, LIST_STOP
        )
        labels: list[str | None] = list(self.spec.label_names)
        stages = []
        if cfg.propose_dimensions:
            stages.append(StagePlan(DIMENSION_STAGE, [None], 1, params, 1, None))
        generated = self.planner.generated_count
        if generated:
            stages.append(StagePlan(VALUE_STAGE, labels, generated, params, 1, None))
            if cfg.filter_values:
                budget = generated * cfg.values_per_dimension
                stages.append(StagePlan(FILTER_STAGE, labels, budget, FILTER_PARAMS, 1, None))
        return stages + super().stages()

    def parse(
        self, stage: StagePlan, request: PlannedRequest, text: str, finish_reason: str
    ) -> ParseResult:
        cfg = self.recipe
        if stage.name == DIMENSION_STAGE:
            n = cfg.propose_dimensions
            taken = [d.name for d in cfg.dimensions] + list(self.spec.attributes)
            return parse_list(
                text, finish_reason, n=n, max_words=DIMENSION_MAX_WORDS, min_items=n, taken=taken
            )
        if stage.name == VALUE_STAGE:
            n = cfg.values_per_dimension
            return parse_list(text, finish_reason, n=n, max_words=cfg.max_value_words)
        if stage.name == FILTER_STAGE:
            answer = parse_answer(text)
            said = " ".join(text.split())[:80]
            if answer == "no":
                return ParseResult(request.meta["value"])
            if answer == "yes":
                others = ", ".join(request.meta.get("others", []))
                return ParseResult(None, "fits_other_class", f"answered {said!r} for {others}")
            return ParseResult(None, "unclear_answer", f"answered {said!r}, not yes or no")
        return super().parse(stage, request, text, finish_reason)

    def plan_round(self, state: RoundState) -> list[PlannedRequest] | RoundPlan:
        name = state.stage.name
        if name == DIMENSION_STAGE:
            return self.planner.plan_dimensions(state)
        if name == VALUE_STAGE:
            return self.planner.plan_values(state)
        if name == FILTER_STAGE:
            return self.planner.plan_filter(state)
        requests = super().plan_round(state)
        first_samples = name == SAMPLE_STAGE and state.round == 0 and requests
        if first_samples and self.planner.generated_count and not self.recipe.filter_values:
            return RoundPlan(requests, self.planner.unfiltered_notes(state))
        return requests

    def attribute_drawer(self, state: RoundState) -> Callable[[str, random.Random], dict[str, str]]:
        return self.planner.drawer(state)
