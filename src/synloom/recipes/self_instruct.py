"""Self-Instruct (Wang et al., "Self-Instruct: Aligning Language Models with Self-Generated
Instructions", ACL 2023) as the recipe of the `instruction` task kind.

Three stages:
1. `instruction`: a bootstrap pool starts from the seed tasks; each request shows 8 pool
   instructions (6 seed + 2 generated, fewer generated while there are fewer) and the model writes
   the next one. Each round is finalized in plan order through Self-Instruct's filter
   (`instruction_filter`: 4-150 words, keyword blacklist, bad openings, ROUGE-L >= 0.7 against the
   pool), and a kept instruction joins the pool; a filtered one is a rejected row with its reason
   (`rouge_similar` names the nearest pool instruction and the score).
2. `classify`: each kept instruction is put to the model as "is it classification?" with seed
   tasks as examples; an unclear answer counts as No (input-first), as the paper's code does.
3. `sample`: one instance per instruction, output-first for classification tasks and input-first
   otherwise, with seed instances of the same kind as examples; unparseable instances are rejected
   rows (and retried up to `instance_attempts` per instruction), exact duplicates dropped.

`generation.samples_per_label` is the number of instructions. A round of the instruction stage
holds at most `round_size` requests, so later rounds prompt with instructions of earlier ones.
"""

from __future__ import annotations

import json
import math
import random
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, model_validator

from synloom.backends.base import GenerationParams
from synloom.prompts import ParseResult
from synloom.prompts.self_instruct import (
    INSTANCE_STOP,
    classify_prompt,
    instance_prompt,
    instruction_prompt,
    parse_instance,
    parse_instruction,
)
from synloom.recipes.attribute_lists import parse_answer
from synloom.recipes.base import (
    SAMPLE_STAGE,
    Recipe,
    RoundState,
    StagePlan,
    budget_counts,
    make_request,
    request_rng,
)
from synloom.recipes.instruction_filter import FilterSettings, RougePool, check_instruction
from synloom.seeds import derive_seed
from synloom.spec.base import Int
from synloom.spec.recipe import RecipeConfig
from synloom.spec.seed_tasks import SeedTask, read_seed_tasks

if TYPE_CHECKING:
    from synloom.spec import TaskSpec
    from synloom.store import PlannedRequest, RunStore

INSTRUCTION_STAGE = "instruction"
CLASSIFY_STAGE = "classify"
CLASSIFY_PARAMS = GenerationParams(max_new_tokens=3, temperature=0.0, top_p=1.0, stop=("\n",))
MAX_EXAMPLE_CHARS = 600  # seed instances longer than this are not shown as examples


class SelfInstructRecipe(RecipeConfig):
    """Self-Instruct (Wang et al., ACL 2023): bootstrap instructions, classify, make instances."""

    task_kind: ClassVar[str] = "instruction"  # the task kind this recipe generates
    seed_tasks_file: str | None = Field(
        None,
        min_length=1,
        description="JSONL of seed tasks (the paper's format), relative to the spec",
    )
    seed_tasks: list[SeedTask] = Field(default_factory=list, description="seed tasks inline")
    seed_in_prompt: Int = Field(6, ge=0, le=64, description="seed instructions per prompt")
    generated_in_prompt: Int = Field(2, ge=0, le=64, description="generated ones per prompt")
    round_size: Int | None = Field(
        None, ge=1, le=100_000, description="requests per instruction round; unset: half the budget"
    )
    filter: FilterSettings = Field(default_factory=FilterSettings)
    classify: bool = Field(True, description="ask the model which tasks are classification")
    classify_examples: Int = Field(12, ge=0, le=64, description="seed tasks shown when classifying")
    instance_examples: Int = Field(3, ge=0, le=16, description="seed instances per instance prompt")
    instance_attempts: Int = Field(2, ge=1, le=10, description="instance requests per instruction")
    instruction_max_new_tokens: Int = Field(64, ge=4, le=4096)
    instance_max_new_tokens: Int = Field(256, ge=4, le=32768)
    max_output_words: Int = Field(300, ge=1, le=100_000)
    type: Literal["self_instruct"] = "self_instruct"

    @model_validator(mode="after")
    def _one_source(self) -> SelfInstructRecipe:
        if self.seed_tasks_file is not None and self.seed_tasks:
            raise ValueError("give seed_tasks or seed_tasks_file, not both")
        if self.seed_tasks_file is None and not self.seed_tasks:
            raise ValueError("Self-Instruct needs seed tasks: set seed_tasks_file or seed_tasks")
        if self.seed_in_prompt + self.generated_in_prompt < 1:
            raise ValueError("seed_in_prompt + generated_in_prompt must be at least 1")
        return self

    def check(self, spec: TaskSpec) -> None:
        if self.seed_tasks and len(self.seed_tasks) < self.seed_in_prompt:
            raise ValueError(
                f"recipe.seed_in_prompt: {self.seed_in_prompt} seed instructions per prompt, "
                f"but only {len(self.seed_tasks)} seed tasks"
            )


def _kind(sample_text: str) -> bool:
    return bool(json.loads(sample_text).get("classification"))


class SelfInstruct(Recipe):
    config = SelfInstructRecipe
    supports_top_up = False

    @property
    def recipe(self) -> SelfInstructRecipe:
        return self.spec.recipe  # type: ignore[return-value]

    @cached_property
    def seeds(self) -> list[SeedTask]:
        cfg = self.recipe
        if cfg.seed_tasks:
            return list(cfg.seed_tasks)
        return [SeedTask.model_validate(r) for r in read_seed_tasks(cfg.seed_tasks_file or "")]

    @cached_property
    def examples(self) -> dict[bool, list[tuple[str, str, str]]]:
        """Seed instances (instruction, input, output) short enough to show, by kind."""
        out: dict[bool, list[tuple[str, str, str]]] = {True: [], False: []}
        for task in self.seeds:
            for inst in task.instances[:1]:
                if len(task.instruction) + len(inst.input) + len(inst.output) <= MAX_EXAMPLE_CHARS:
                    out[task.is_classification].append((task.instruction, inst.input, inst.output))
        return out

    def stages(self) -> list[StagePlan]:
        cfg, gen = self.recipe, self.spec.generation
        budget = gen.samples_per_label
        sampled = GenerationParams(
            cfg.instruction_max_new_tokens, gen.temperature, gen.top_p, gen.top_k, ("\n",)
        )
        instance = GenerationParams(
            cfg.instance_max_new_tokens, gen.temperature, gen.top_p, gen.top_k, INSTANCE_STOP
        )
        stages = [StagePlan(INSTRUCTION_STAGE, [None], budget, sampled, 1, None)]
        if cfg.classify:
            stages.append(StagePlan(CLASSIFY_STAGE, [None], budget, CLASSIFY_PARAMS, 1, None))
        return [*stages, StagePlan(SAMPLE_STAGE, [None], budget, instance, 1, None)]

    def candidate_filter(self, stage: StagePlan, store: RunStore) -> InstructionPool | None:
        if stage.name != INSTRUCTION_STAGE:
            return None
        pool = RougePool(t.instruction for t in self.seeds)
        for sample in store.accepted(INSTRUCTION_STAGE):
            pool.add(sample.text)
        return InstructionPool(pool, self.recipe.filter)

    def parse(
        self, stage: StagePlan, request: PlannedRequest, text: str, finish_reason: str
    ) -> ParseResult:
        cfg = self.recipe
        if stage.name == INSTRUCTION_STAGE:
            parsed = parse_instruction(text, finish_reason)
            if not parsed.ok or parsed.text is None:
                return parsed
            verdict = check_instruction(parsed.text, None, cfg.filter)  # ROUGE-L at finalize
            return parsed if verdict.ok else ParseResult(None, verdict.reason, verdict.detail or "")
        if stage.name == CLASSIFY_STAGE:
            answer = parse_answer(text)
            record = {"instruction": request.meta["instruction"], "classification": answer == "yes"}
            if answer is None:
                record["answer"] = "unclear"  # counted as No, as the paper's code does
            return ParseResult(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        return parse_instance(
            text,
            finish_reason,
            instruction=request.meta["instruction"],
            classification=bool(request.meta["classification"]),
            max_output_words=cfg.max_output_words,
        )

    def plan_round(self, state: RoundState) -> list[PlannedRequest]:
        if state.stage.name == INSTRUCTION_STAGE:
            return self._plan_instructions(state)
        if state.stage.name == CLASSIFY_STAGE:
            return self._plan_classify(state)
        return self._plan_instances(state)

    def _plan_instructions(self, state: RoundState) -> list[PlannedRequest]:
        cfg = self.recipe
        size = cfg.round_size or max(8, math.ceil(state.stage.budget / 2))
        count = min(budget_counts(state).get(None, 0), size)
        generated = [s.text for s in state.accepted()]
        seeds = [t.instruction for t in self.seeds]
        total = cfg.seed_in_prompt + cfg.generated_in_prompt
        out = []
        for i in range(count):
            rng = request_rng(state, None, i)
            shown = rng.sample(generated, min(cfg.generated_in_prompt, len(generated)))
            shown += rng.sample(seeds, min(total - len(shown), len(seeds)))
            rng.shuffle(shown)
            out.append(make_request(state, i, None, instruction_prompt(shown)))
        return out

    def _earlier(self, state: RoundState) -> list[PlannedRequest]:
        return [r for rnd in range(state.round) for r in state.requests(rnd)]

    def _plan_classify(self, state: RoundState) -> list[PlannedRequest]:
        asked = {r.meta["instruction_id"] for r in self._earlier(state)}
        todo = [s for s in state.accepted(INSTRUCTION_STAGE) if s.id not in asked]
        shots = self._classify_shots()
        return [
            make_request(
                state,
                i,
                None,
                classify_prompt(shots, s.text),
                meta={"instruction_id": s.id, "instruction": s.text},
            )
            for i, s in enumerate(todo[: state.limit])
        ]

    def _classify_shots(self) -> list[tuple[str, bool]]:
        """A fixed, balanced draw of seed tasks (the same prefix in every request)."""
        rng = random.Random(derive_seed(self.spec.seed, CLASSIFY_STAGE, "examples"))
        half = self.recipe.classify_examples // 2
        by_kind = {k: [t for t in self.seeds if t.is_classification == k] for k in (True, False)}
        picked = [
            (t.instruction, k)
            for k, n in ((True, half), (False, self.recipe.classify_examples - half))
            for t in rng.sample(by_kind[k], min(n, len(by_kind[k])))
        ]
        rng.shuffle(picked)
        return picked

    def _plan_instances(self, state: RoundState) -> list[PlannedRequest]:
        cfg = self.recipe
        kinds = {
            s.meta["instruction_id"]: _kind(s.text)
            for s in (state.accepted(CLASSIFY_STAGE) if cfg.classify else [])
        }
        done = {s.meta["instruction_id"] for s in state.accepted()}
        tries: dict[str, int] = {}
        for r in self._earlier(state):
            tries[r.meta["instruction_id"]] = tries.get(r.meta["instruction_id"], 0) + 1
        todo = [
            s
            for s in state.accepted(INSTRUCTION_STAGE)
            if s.id not in done and tries.get(s.id, 0) < cfg.instance_attempts
        ]
        out = []
        for i, s in enumerate(todo[: state.limit]):
            rng = request_rng(state, None, i)
            kind = kinds.get(s.id, False)
            pool = self.examples[kind] or self.examples[not kind]
            shots = rng.sample(pool, min(cfg.instance_examples, len(pool)))
            meta = {"instruction_id": s.id, "instruction": s.text, "classification": kind}
            out.append(
                make_request(state, i, None, instance_prompt(shots, s.text, kind), meta=meta)
            )
        return out


class InstructionPool:
    """The finalize-time ROUGE-L check of the instruction stage, in plan order: `reject(text)`
    gives (reason, detail) when a candidate is too close to a pool instruction, and `admit(text)`
    adds a kept one."""

    def __init__(self, pool: RougePool, settings: FilterSettings) -> None:
        self.pool = pool
        self.settings = settings

    def reject(self, text: str) -> tuple[str, str] | None:
        verdict = check_instruction(text, self.pool, self.settings)
        return None if verdict.ok else (verdict.reason or "filtered", verdict.detail or "")

    def admit(self, text: str) -> None:
        self.pool.add(text)
