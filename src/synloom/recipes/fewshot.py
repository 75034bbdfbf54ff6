"""Few-shot generation: same-label seed examples before the label-conditioned prompt, the
in-context form ProGen uses (Ye et al., "ProGen: Progressive Zero-shot Dataset Generation via
In-context Feedback", Findings of EMNLP 2022)."""

from __future__ import annotations

import random
from functools import cached_property
from typing import Any, Literal

from pydantic import Field

from synloom.recipes.prompted import PromptRecipe
from synloom.spec import SeedExample, TaskSpec
from synloom.spec.base import Int, Real
from synloom.spec.recipe import PromptRecipeConfig
from synloom.spec.templates import LABEL_FIELDS, check_template


class FewShotRecipe(PromptRecipeConfig):
    """In-context examples of the same label before the prompt (the form ProGen uses, Ye et al. 2022b)."""

    type: Literal["fewshot"] = "fewshot"
    prompt: str = 'The movie review in {verbalizer} sentiment is: "'
    example_template: str = 'The movie review in {verbalizer} sentiment is: "{text}"\n'
    k: Int = Field(3, ge=1, le=100, description="same-label seed examples per request")
    example_ratio: Real = Field(
        1.0, ge=0.0, le=1.0, description="share of requests that get examples (ProGen used 0.5)"
    )

    def check(self, spec: TaskSpec) -> None:
        """The prompt checks, then: the example template fills, and every label has at least
        `k` seed examples to draw from."""
        super().check(spec)
        names = spec.label_names
        ex_allowed = LABEL_FIELDS | {"text"} | ({"text_b"} if spec.is_pair else set())
        used = check_template(self.example_template, ex_allowed, "recipe.example_template")
        if "text" not in used:
            raise ValueError("recipe.example_template must use {text}")
        missing = [n for n in names if not any(e.label == n for e in spec.seed_examples)]
        if missing:
            raise ValueError(
                "recipe fewshot needs seed_examples for every label; none for: "
                + ", ".join(missing)
            )
        fewest = min(names, key=lambda n: sum(e.label == n for e in spec.seed_examples))
        have = sum(e.label == fewest for e in spec.seed_examples)
        if self.example_ratio > 0 and self.k > have:
            raise ValueError(
                f"recipe.k: {self.k} examples per request, but label {fewest!r} has only "
                f"{have} seed_examples"
            )


class FewShot(PromptRecipe):
    """`k` same-label seed examples, in a share `example_ratio` of the requests."""

    config = FewShotRecipe

    @property
    def recipe(self) -> FewShotRecipe:
        return self.spec.recipe  # type: ignore[return-value]

    @cached_property
    def pools(self) -> dict[str, list[SeedExample]]:
        """Each label's seed examples, in spec order."""
        pools: dict[str, list[SeedExample]] = {name: [] for name in self.spec.label_names}
        for ex in self.spec.seed_examples:
            pools[ex.label].append(ex)
        return pools

    def sample_examples(self, label: str, rng: random.Random) -> list[SeedExample]:
        """`k` distinct examples of `label` with probability `example_ratio`, else none."""
        if rng.random() >= self.recipe.example_ratio:
            return []
        pool = self.pools[label]
        return rng.sample(pool, min(self.recipe.k, len(pool)))

    def render_examples(self, examples: list[SeedExample]) -> str:
        template = self.recipe.example_template
        return "".join(
            template.format_map(
                self.builder.label_fields(ex.label) | {"text": ex.text, "text_b": ex.text_b or ""}
            )
            for ex in examples
        )

    def prefix(self, label: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
        examples = self.sample_examples(label, rng)
        if not examples:
            return "", {}
        return self.render_examples(examples), {"examples": [ex.text for ex in examples]}
