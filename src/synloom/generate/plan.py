"""The engine's side of planning: how many requests a stage may plan, and asking the recipe for
a round. What a round holds (labels, prompts, seeds) is the recipe's (`synloom.recipes`); the
engine bounds it and stores it. Planning reads only the spec and the store, so a resumed run plans
exactly what an uninterrupted one did."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.recipes import RoundPlan, RoundState

if TYPE_CHECKING:
    from synloom.recipes import Recipe, StagePlan
    from synloom.spec import TaskSpec
    from synloom.store import PlannedRequest, RunStore

MAX_ROUND_REQUESTS = 50_000  # a round is planned in memory: a larger need takes several rounds


def request_cap(spec: TaskSpec, stage: StagePlan) -> int:
    """Most requests a stage may plan, all rounds together: `max_requests_factor` x its budget."""
    return math.ceil(spec.generation.max_requests_factor * stage.budget * len(stage.labels))


def round_state(
    spec: TaskSpec, store: RunStore, stage: StagePlan, rnd: int, limit: int, top_up_round: int = 0
) -> RoundState:
    """What the recipe may read to plan round `rnd`: counts over finalized rounds, the store, and
    for a topped-up run the round its budget began at with each label's accepted count before."""
    stats = store.label_stats(stage.name, stage.labels)
    base: dict[str | None, int] = {}
    if top_up_round:
        rows = store.db.execute(
            "SELECT label, COUNT(*) FROM accepted WHERE stage = ? AND round < ? GROUP BY label",
            (stage.name, top_up_round),
        ).fetchall()
        base = {label: int(n) for label, n in rows if label in stage.labels}
    return RoundState(spec, stage, rnd, limit, stats, store, top_up_round, base)


def plan_round(recipe: Recipe, state: RoundState) -> list[PlannedRequest]:
    """The requests of `planned_round` (without the recipe's annotations)."""
    return planned_round(recipe, state).requests


def planned_round(recipe: Recipe, state: RoundState) -> RoundPlan:
    """The recipe's plan for the round, checked against what the engine relies on: this stage and
    round, plan order, at most `state.limit` requests, one label of the stage each; with the
    annotations the recipe returned (a `RoundPlan`), if any."""
    plan = recipe.plan_round(state)
    if not isinstance(plan, RoundPlan):
        plan = RoundPlan(list(plan))
    requests = plan.requests
    stage, rnd = state.stage, state.round
    if len(requests) > state.limit:
        raise SynloomError(
            f"recipe {state.spec.recipe.type!r} planned {len(requests)} requests for round {rnd}"
            f" of stage {stage.name!r}, more than the {state.limit} allowed"
        )
    for idx, req in enumerate(requests):
        if (req.stage, req.round, req.idx) != (stage.name, rnd, idx) or (
            req.label not in stage.labels
        ):
            raise SynloomError(
                f"recipe {state.spec.recipe.type!r} planned request {req.id!r} outside round"
                f" {rnd} of stage {stage.name!r} (build requests with make_request)"
            )
    return plan
