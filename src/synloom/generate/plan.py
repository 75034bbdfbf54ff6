"""Deterministic request planning: ids, batch boundaries and seeds depend only on the spec and on
what earlier rounds stored, so a resumed run plans exactly what an uninterrupted one did."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from synloom.backends.base import GenerationParams
from synloom.generate.seeds import derive_seed
from synloom.prompts import PromptBuilder
from synloom.spec import TaskSpec
from synloom.store import PlannedRequest

CONTEXT_STAGE = "context"
SAMPLE_STAGE = "sample"
MIN_RATE = 0.05
MAX_ROUND_REQUESTS = 50_000  # a round is planned in memory: a larger need takes several rounds


@dataclass(frozen=True)
class StagePlan:
    """What one stage generates: its labels (None for contexts), budget and decoding settings."""

    name: str
    labels: list[str | None]
    budget: int
    params: GenerationParams
    min_words: int
    max_words: int | None


def stage_plans(spec: TaskSpec) -> list[StagePlan]:
    gen = spec.generation
    recipe = spec.recipe
    stages = []
    if recipe.context_stage is not None:
        cs = recipe.context_stage
        stages.append(
            StagePlan(
                CONTEXT_STAGE,
                [None],
                cs.count,
                GenerationParams(
                    cs.max_new_tokens, gen.temperature, gen.top_p, gen.top_k, tuple(gen.stop)
                ),
                cs.min_words,
                cs.max_words,
            )
        )
    stages.append(
        StagePlan(
            SAMPLE_STAGE,
            list(spec.label_names),
            gen.samples_per_label,
            GenerationParams(
                gen.max_new_tokens, gen.temperature, gen.top_p, gen.top_k, tuple(gen.stop)
            ),
            recipe.min_words,
            recipe.max_words,
        )
    )
    return stages


def requests_needed(need: int, accepted: int, finished: int, oversample: float) -> int:
    """Requests to plan for `need` more samples, from the acceptance rate seen so far."""
    if need <= 0:
        return 0
    rate = accepted / finished if finished >= 8 else 1.0 / oversample
    rate = max(rate, MIN_RATE)
    return max(1, math.ceil(need / rate * (1.1 if finished >= 8 else 1.0)))


def request_cap(spec: TaskSpec, stage: StagePlan) -> int:
    """Most requests a stage may plan, all rounds together: `max_requests_factor` x its budget."""
    return math.ceil(spec.generation.max_requests_factor * stage.budget * len(stage.labels))


def cap_counts(
    counts: dict[str | None, int], labels: list[str | None], limit: int
) -> dict[str | None, int]:
    """Per-label counts of the first `limit` requests of `plan_round`'s interleaved order (label by
    label for each index), computed without walking that order: O(labels x log(count))."""
    if sum(counts.values()) <= limit:
        return counts
    lo, hi = 0, max(counts.values())
    while lo < hi:  # the most whole layers (one request per label still wanting one) that fit
        mid = (lo + hi + 1) // 2
        if sum(min(c, mid) for c in counts.values()) <= limit:
            lo = mid
        else:
            hi = mid - 1
    out = {label: min(c, lo) for label, c in counts.items()}
    rest = limit - sum(out.values())
    for label in labels:  # part of the next layer, in label order
        if rest > 0 and counts.get(label, 0) > lo:
            out[label] += 1
            rest -= 1
    return out


def plan_round(
    spec: TaskSpec,
    stage: StagePlan,
    rnd: int,
    counts: dict[str | None, int],
    contexts: list[str] | None,
) -> list[PlannedRequest]:
    """Plan round `rnd`: `counts[label]` requests per label, interleaved, cut into batches."""
    builder = PromptBuilder(spec)
    is_pair = spec.is_pair
    order: list[tuple[str | None, int]] = []
    for i in range(max(counts.values(), default=0)):
        order.extend((label, i) for label in stage.labels if i < counts.get(label, 0))
    batch_size = spec.generation.batch_size
    requests = []
    for idx, (label, i) in enumerate(order):
        batch = idx // batch_size
        rng = random.Random(derive_seed(spec.seed, stage.name, rnd, label, i))
        meta: dict = {}
        context = None
        if stage.name == CONTEXT_STAGE:
            prompt = spec.recipe.context_stage.prompt
        else:
            if contexts:
                context = rng.choice(contexts)
            attributes = builder.sample_attributes(rng)
            examples = builder.sample_examples(label, rng)
            prompt = builder.render(
                label, context=context, attributes=attributes, examples=examples
            )
            if attributes:
                meta["attributes"] = attributes
            if examples:
                meta["examples"] = [ex.text for ex in examples]
            if context is not None:
                meta["context"] = context
            meta["pair"] = is_pair
        req_id = f"{stage.name[0]}{rnd}-{idx:06d}"
        requests.append(
            PlannedRequest(
                id=req_id,
                stage=stage.name,
                round=rnd,
                idx=idx,
                batch=batch,
                label=label,
                prompt=prompt,
                context=context,
                seed=derive_seed(spec.seed, req_id),
                params=stage.params.to_json(),
                meta=meta,
            )
        )
    return requests
