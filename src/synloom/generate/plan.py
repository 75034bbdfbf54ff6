"""The engine's side of planning: how many requests a stage may plan, and asking the recipe for
a round. What a round holds (labels, prompts, seeds) is the recipe's (`synloom.recipes`); the
engine bounds it and stores it. Planning reads only the spec and the store, so a resumed run plans
exactly what an uninterrupted one did."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.recipes import SAMPLE_STAGE, RoundPlan, RoundState
from synloom.seeds import derive_seed

if TYPE_CHECKING:
    from synloom.recipes import Recipe, StagePlan
    from synloom.spec import TaskSpec
    from synloom.store import PlannedRequest, RunStore

MAX_ROUND_REQUESTS = 50_000  # a round is planned in memory: a larger need takes several rounds
PROMPT_GROUP = "prompt_group"  # meta key: the id of the request whose prompt a sample shares


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
    annotations the recipe returned (a `RoundPlan`), if any. With `samples_per_prompt` > 1 the
    sample stage's requests then share prompts (`share_prompts`)."""
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
    n = state.spec.generation.per_prompt
    if n > 1 and stage.name == SAMPLE_STAGE:
        return replace(plan, requests=share_prompts(state, requests, n))
    return plan


def share_prompts(
    state: RoundState, requests: list[PlannedRequest], n: int
) -> list[PlannedRequest]:
    """The round's requests regrouped so that `n` samples share one prompt: each label's requests,
    in plan order, are cut into groups of `n` (the last may be smaller); every member of a group
    takes its first request's prompt, context and meta (so a few-shot group shares its demos),
    with `meta["prompt_group"]` naming that first request. Groups keep plan order (the j-th group
    of every label before any (j+1)-th), each group's members are consecutive, and a batch holds
    `batch_size // n` whole groups (at least one), so a backend call prefills each prompt once.
    Ids and seeds are then those of the new places (the recipe's id with the new index, the seed
    derived from it as `make_request` derives it): the plan is still a pure function of the spec
    and the store, and a sample's seed of its id."""
    rank: dict[str | None, int] = {}
    for req in requests:
        rank.setdefault(req.label, len(rank))
    place: dict[str | None, int] = {}
    keyed = []
    for req in requests:
        k = place.get(req.label, 0)
        place[req.label] = k + 1
        keyed.append(((k // n, rank[req.label], k % n), req))
    keyed.sort(key=lambda item: item[0])
    per_batch = max(1, state.spec.generation.batch_size // n)
    out: list[PlannedRequest] = []
    group = -1
    leader = requests[0]
    for idx, ((_, _, member), req) in enumerate(keyed):
        req_id = f"{req.id.rsplit('-', 1)[0]}-{idx:06d}"  # stage letter and round, new index
        if member == 0:
            group += 1
            leader = replace(req, id=req_id, meta={**req.meta, PROMPT_GROUP: req_id})
        out.append(
            replace(
                leader,
                id=req_id,
                idx=idx,
                batch=group // per_batch,
                seed=derive_seed(state.spec.seed, req_id),
                meta=dict(leader.meta),
            )
        )
    return out
