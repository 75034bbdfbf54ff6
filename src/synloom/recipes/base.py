"""What a recipe is to the engine: its stages, and a planner that turns what the run store holds
into the next round's requests.

A recipe (one module in `synloom.recipes`, named in `RECIPES` of `spec/recipe.py`) subclasses
`Recipe`: `config` is its pydantic config class, `stages()` the stages it runs in order, and
`plan_round(state)` the requests of one round, read from a `RoundState`. The engine
(`synloom.generate`) batches, sends, parses, finalizes and resumes; it calls `plan_round` only
for a round the store does not hold yet, so whatever the planner reads must come from `state`
(the spec and the store), never from the clock or a process-wide RNG.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from synloom.backends.base import GenerationParams
from synloom.prompts import ParseResult, parse_completion
from synloom.prompts.chat import chat_prompt, chat_request_text
from synloom.prompts.chat_clean import parse_chat_reply
from synloom.seeds import derive_seed
from synloom.store import PlannedRequest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from synloom.spec import RecipeConfig, TaskSpec
    from synloom.store import RunStore, Sample

CONTEXT_STAGE = "context"
SAMPLE_STAGE = "sample"  # the last stage of every recipe: the labeled samples a run delivers
MIN_RATE = 0.05
RATE_MIN_FINISHED = 8  # requests finished before a label's measured acceptance rate is trusted


@dataclass(frozen=True)
class StagePlan:
    """What one stage generates: its labels (None for unlabeled output such as contexts), budget
    per label, decoding settings and the words an output must have. `pair`: outputs are the
    second texts of pairs whose first text is the request's context."""

    name: str
    labels: list[str | None]
    budget: int
    params: GenerationParams
    min_words: int
    max_words: int | None
    pair: bool = False


@dataclass(frozen=True)
class RoundState:
    """Read-only view of a run for planning round `round` of `stage`: the spec, the most requests
    the round may hold (`limit`, the engine's request cap), each label's (accepted, finished)
    counts over the stage's finalized rounds, and the store's accepted samples and earlier
    rounds' requests (of any stage)."""

    spec: TaskSpec
    stage: StagePlan
    round: int
    limit: int
    stats: Mapping[str | None, tuple[int, int]]
    _store: RunStore = field(repr=False, compare=False)
    # a topped-up run (a rerun with a larger budget): the first round planned for the current
    # budget and each label's accepted count before it; 0 and {} for a run never topped up
    top_up_round: int = 0
    top_up_base: Mapping[str | None, int] = field(default_factory=dict)

    def accepted_count(self, label: str | None) -> int:
        return self.stats.get(label, (0, 0))[0]

    def acceptance_rate(self, label: str | None) -> float | None:
        """Accepted over finished requests of `label` so far; None before any finished."""
        accepted, finished = self.stats.get(label, (0, 0))
        return accepted / finished if finished else None

    def accepted(self, stage: str | None = None) -> list[Sample]:
        """The accepted outputs of `stage` (this one by default), in plan order."""
        return self._store.accepted(stage or self.stage.name)

    def requests(self, rnd: int, stage: str | None = None) -> list[PlannedRequest]:
        """The requests of an earlier round `rnd` of `stage` (this one by default)."""
        if rnd >= self.round and (stage or self.stage.name) == self.stage.name:
            raise ValueError(f"round {rnd} is not an earlier round than {self.round}")
        return self._store.requests(stage or self.stage.name, rnd)

    def annotations(self, rnd: int, stage: str | None = None) -> Any:
        """What the recipe stored with the plan of an earlier round `rnd` (`RoundPlan`), or None."""
        if rnd >= self.round and (stage or self.stage.name) == self.stage.name:
            raise ValueError(f"round {rnd} is not an earlier round than {self.round}")
        return self._store.round_annotations(stage or self.stage.name, rnd)


@dataclass(frozen=True)
class RoundPlan:
    """A round's requests and what the recipe wants stored with them (JSON-able, e.g. the
    per-sample scores it planned from). The engine writes `annotations` in the same transaction
    as the plan, as the `scores` row `recipe:<stage>:<round>` (`RunStore.round_annotations`), so
    a resumed run, which never plans again, finds them as the first run left them."""

    requests: list[PlannedRequest]
    annotations: Any = None


class CandidateFilter(Protocol):
    """What `Recipe.candidate_filter` returns: `reject(text)` is (reason, detail) for a candidate
    to reject, else None; `admit(text)` is told of each candidate accepted."""

    def reject(self, text: str) -> tuple[str, str] | None: ...

    def admit(self, text: str) -> None: ...


class Recipe(ABC):
    """Base of every recipe. Built once per run with the validated spec (whose `recipe` is an
    instance of `config`); may cache what it reads from the spec (a contexts file, say)."""

    config: ClassVar[type[RecipeConfig]]
    # whether a rerun with a larger `samples_per_label` may continue a run of this recipe (its
    # planner then sees the new `stage.budget` and `RoundState.top_up_round`); False refuses it
    supports_top_up: ClassVar[bool] = True

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec

    @abstractmethod
    def stages(self) -> list[StagePlan]:
        """The stages in run order; the last is `SAMPLE_STAGE` with one entry per label."""

    @abstractmethod
    def plan_round(self, state: RoundState) -> list[PlannedRequest] | RoundPlan:
        """The requests of round `state.round` of `state.stage` (at most `state.limit`; empty
        when the recipe wants no more), or a `RoundPlan` of them and annotations to store with
        them. Build them with `make_request` so ids, batches and seeds follow the engine's
        conventions."""

    def candidate_filter(self, stage: StagePlan, store: RunStore) -> CandidateFilter | None:
        """A check that finalizing a round of `stage` runs on each candidate, in plan order,
        after exact dedup (Self-Instruct's ROUGE-L pool); None (the default): no check."""
        return None

    def parse(
        self, stage: StagePlan, request: PlannedRequest, text: str, finish_reason: str
    ) -> ParseResult:
        """One completion of `request` as the stage's output: its text, or a rejection reason.
        ZeroGen's parser (cut, word limits, refusals, copies of the context) unless the recipe
        parses a stage of its own differently (AttrPrompt's value lists, yes/no answers). A chat
        request's reply is cleaned of preambles, outros and wrapping first (`parse_chat_reply`)."""
        if (body := chat_request_text(request.prompt)) is not None:
            return parse_chat_reply(
                text,
                finish_reason,
                prompt=body,
                min_words=stage.min_words,
                max_words=stage.max_words,
                context=request.context,
            )
        return parse_completion(
            text,
            finish_reason,
            min_words=stage.min_words,
            max_words=stage.max_words,
            context=request.context,
        )


def requests_needed(need: int, accepted: int, finished: int, oversample: float) -> int:
    """Requests to plan for `need` more samples, from the acceptance rate seen so far."""
    if need <= 0:
        return 0
    measured = finished >= RATE_MIN_FINISHED
    rate = accepted / finished if measured else 1.0 / oversample
    rate = max(rate, MIN_RATE)
    return max(1, math.ceil(need / rate * (1.1 if measured else 1.0)))


def cap_counts(
    counts: dict[str | None, int], labels: list[str | None], limit: int
) -> dict[str | None, int]:
    """Per-label counts of the first `limit` requests of `interleave`'s order (label by label
    for each index), computed without walking that order: O(labels x log(count))."""
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


def budget_counts(state: RoundState) -> dict[str | None, int]:
    """Requests per label that fill the stage's budget at the measured acceptance rates, cut to
    `state.limit` (the planning every built-in recipe uses)."""
    oversample = state.spec.generation.oversample
    counts = {
        label: requests_needed(state.stage.budget - acc, acc, done, oversample)
        for label, (acc, done) in state.stats.items()
    }
    return cap_counts(counts, state.stage.labels, state.limit)


def interleave(counts: Mapping[str | None, int], labels: list[str | None]):
    """(label, i) in plan order: the i-th request of every label before any (i+1)-th."""
    order: list[tuple[str | None, int]] = []
    for i in range(max(counts.values(), default=0)):
        order.extend((label, i) for label in labels if i < counts.get(label, 0))
    return order


def request_rng(state: RoundState, label: str | None, i: int) -> random.Random:
    """The RNG of the i-th request of `label` in this round: a request's random choices depend
    only on the run seed and its place, not on how many other requests the round holds."""
    return random.Random(derive_seed(state.spec.seed, state.stage.name, state.round, label, i))


def make_request(
    state: RoundState,
    idx: int,
    label: str | None,
    prompt: str,
    *,
    context: str | None = None,
    meta: dict | None = None,
) -> PlannedRequest:
    """The `idx`-th request of the round: its id, batch and seed follow from its place. For a
    chat endpoint the prompt goes as chat messages, without the completion stop strings (a
    reply that opens with a quote would stop there; the chat turn ends the reply)."""
    stage = state.stage
    params = stage.params.to_json()
    if getattr(state.spec.backend, "endpoint", None) == "chat":
        prompt = chat_prompt(prompt, getattr(state.spec.recipe, "system", None))
        params["stop"] = []
    req_id = f"{stage.name[0]}{state.round}-{idx:06d}"
    return PlannedRequest(
        id=req_id,
        stage=stage.name,
        round=state.round,
        idx=idx,
        batch=idx // state.spec.generation.batch_size,
        label=label,
        prompt=prompt,
        context=context,
        seed=derive_seed(state.spec.seed, req_id),
        params=params,
        meta=meta or {},
    )
