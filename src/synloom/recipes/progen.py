"""ProGen (Ye et al., "ProGen: Progressive Zero-shot Dataset Generation via In-context Feedback",
Findings of EMNLP 2022): the sample budget is generated over feedback rounds. Before each round
a task model (frozen MiniLM embeddings + L2 logistic regression) is trained on the samples
accepted so far, each sample's helpfulness is its influence on the reverse cross-entropy of a
held-out synthetic validation split (`influence.py`), and the most helpful samples of each label
become that label's in-context pool: a share `feedback_ratio` of the round's requests get `k`
examples drawn from it before the prompt, the rest are zero-shot. Round 0 draws from the seed
examples when the spec has them, else it is zero-shot (ZeroGen).

What each round was planned from (the pool, the validation split, every scored sample's
influence) is stored with the round's plan (`RoundPlan` annotations; `feedback.py`), and each
request's meta names the examples it got (`example_ids`: sample ids, `seed:<i>` for seeds).
"""

from __future__ import annotations

import math
import random
from functools import partial
from typing import Any, Literal

from pydantic import Field

from synloom.recipes.base import (
    SAMPLE_STAGE,
    RoundPlan,
    RoundState,
    cap_counts,
    requests_needed,
)
from synloom.recipes.feedback import Example, feedback_pools
from synloom.recipes.prompted import PromptRecipe
from synloom.spec import TaskSpec
from synloom.spec.base import Int, Real
from synloom.spec.recipe import PromptRecipeConfig
from synloom.spec.templates import LABEL_FIELDS, check_template
from synloom.store import PlannedRequest


class ProGenRecipe(PromptRecipeConfig):
    """ProGen (Ye et al., Findings EMNLP 2022): in-context feedback rounds chosen by influence."""

    type: Literal["progen"] = "progen"
    prompt: str = 'The movie review in {verbalizer} sentiment is: "'
    example_template: str = 'The movie review in {verbalizer} sentiment is: "{text}"\n'
    k: Int = Field(8, ge=1, le=100, description="in-context examples per request (ProGen: 8)")
    feedback_ratio: Real = Field(
        0.5, ge=0.0, le=1.0, description="share of requests that get examples (ProGen: 0.5)"
    )
    feedback_rounds: Int = Field(
        4, ge=1, le=1000, description="rounds the budget is split over; round r aims at (r+1)/n"
    )
    validation_share: Real = Field(
        0.2, ge=0.05, le=0.5, description="share of each label's samples held out for validation"
    )
    pool_size: Int = Field(
        32, ge=1, le=100_000, description="most helpful samples per label in the next pool"
    )
    random_pool: bool = Field(
        False,
        description="ablation: each label's pool is pool_size training samples drawn at random"
        " instead of the most helpful by influence (no task model is trained)",
    )

    def check(self, spec: TaskSpec) -> None:
        """The prompt checks, then: the example template fills, the pool holds `k`, and the
        feedback rounds fit in `generation.max_rounds`."""
        super().check(spec)
        allowed = LABEL_FIELDS | {"text"} | ({"text_b"} if spec.is_pair else set())
        if not spec.is_pair and (self.has_contexts or self.context_stage is not None):
            allowed = allowed | {"context"}
        used = check_template(self.example_template, allowed, "recipe.example_template")
        if "text" not in used:
            raise ValueError("recipe.example_template must use {text}")
        if "context" in used and spec.seed_examples:
            raise ValueError(
                "recipe.example_template uses {context}, which seed_examples do not have;"
                " drop the seeds or {context}"
            )
        if self.pool_size < self.k:
            raise ValueError(
                f"recipe.pool_size ({self.pool_size}) is smaller than recipe.k ({self.k})"
            )
        if self.feedback_rounds > spec.generation.max_rounds:
            raise ValueError(
                f"recipe.feedback_rounds ({self.feedback_rounds}) is more than"
                f" generation.max_rounds ({spec.generation.max_rounds})"
            )


class ProGen(PromptRecipe):
    """Feedback rounds: the pool of round r comes from the samples of rounds before r."""

    config = ProGenRecipe

    @property
    def recipe(self) -> ProGenRecipe:
        return self.spec.recipe  # type: ignore[return-value]

    def plan_round(self, state: RoundState) -> list[PlannedRequest] | RoundPlan:
        if state.stage.name != SAMPLE_STAGE:
            return super().plan_round(state)
        counts = self.round_counts(state)
        if not any(counts.values()):
            return []
        pools, annotations = feedback_pools(self.spec, state)
        requests = self.plan_requests(state, counts, partial(self.draw, pools))
        return RoundPlan(requests, annotations)

    def round_counts(self, state: RoundState) -> dict[str | None, int]:
        """Requests per label for this round: enough to bring each label to the round's target,
        (r + 1) / feedback_rounds of the budget (the first target some label has not reached
        when earlier rounds overshot), at the acceptance rate measured so far.

        A top-up (a rerun with a larger budget) runs the schedule again over what is missing:
        round r of it aims at base + (r + 1) / feedback_rounds of (budget - base), base being
        the label's samples from before the top-up, so it too takes `feedback_rounds` rounds,
        each planned from the pool of every sample so far."""
        budget, rounds = state.stage.budget, self.recipe.feedback_rounds
        phase = state.round - state.top_up_round
        base = state.top_up_base
        while True:
            targets = {
                label: min(
                    budget,
                    base.get(label, 0)
                    + math.ceil((budget - base.get(label, 0)) * (phase + 1) / rounds),
                )
                for label in state.stats
            }
            need = {label: max(0, targets[label] - acc) for label, (acc, _) in state.stats.items()}
            if any(need.values()) or all(t >= budget for t in targets.values()):
                break
            phase += 1
        oversample = self.spec.generation.oversample
        counts = {
            label: requests_needed(need[label], acc, done, oversample)
            for label, (acc, done) in state.stats.items()
        }
        return cap_counts(counts, state.stage.labels, state.limit)

    def draw(
        self, pools: dict[str, list[Example]], label: str, rng: random.Random
    ) -> tuple[str, dict[str, Any]]:
        """`k` distinct examples of the label's pool with probability `feedback_ratio`."""
        if rng.random() >= self.recipe.feedback_ratio or not pools.get(label):
            return "", {}
        pool = pools[label]
        chosen = rng.sample(pool, min(self.recipe.k, len(pool)))
        return self.render_examples(chosen), {"example_ids": [ex.id for ex in chosen]}

    def render_examples(self, examples: list[Example]) -> str:
        template = self.recipe.example_template
        return "".join(
            template.format_map(
                self.builder.label_fields(ex.label)
                | {"text": ex.text, "text_b": ex.text_b or "", "context": ex.context or ""}
            )
            for ex in examples
        )
