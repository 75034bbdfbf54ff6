"""A third-party recipe as a plugin would ship it (registered in the tests through a real
`synloom.recipes` entry point): one module with its config class, its check and its planner."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synloom.backends.base import GenerationParams
from synloom.recipes import SAMPLE_STAGE, Recipe, RoundState, StagePlan, make_request
from synloom.spec import RecipeConfig
from synloom.spec.base import Int
from synloom.store import PlannedRequest


class EchoConfig(RecipeConfig):
    type: Literal["echo"] = "echo"
    words: Int = Field(2, ge=1)
    prompt: str = "Say {label}: "

    def check(self, spec) -> None:
        if len(spec.labels) > 3:
            raise ValueError("recipe echo: at most 3 labels")


class Echo(Recipe):
    """Each round asks for exactly what each label still lacks (no oversampling), and says in
    the meta which round it was planned in and the label's acceptance rate so far."""

    config = EchoConfig

    def stages(self) -> list[StagePlan]:
        gen = self.spec.generation
        params = GenerationParams(
            gen.max_new_tokens, gen.temperature, gen.top_p, gen.top_k, ("\n",)
        )
        cfg = self.spec.recipe
        return [
            StagePlan(
                SAMPLE_STAGE, self.spec.label_names, gen.samples_per_label, params, cfg.words, None
            )
        ]

    def plan_round(self, state: RoundState) -> list[PlannedRequest]:
        requests = []
        for label in state.stage.labels:
            for _ in range(state.stage.budget - state.accepted_count(label)):
                if len(requests) < state.limit:
                    meta = {"round": state.round, "rate": state.acceptance_rate(label)}
                    prompt = self.spec.recipe.prompt.format(label=label)
                    requests.append(make_request(state, len(requests), label, prompt, meta=meta))
        return requests
