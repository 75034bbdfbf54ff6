"""The task spec: what to generate, for which labels, with which recipe, model and budget."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, ValidationInfo, field_validator, model_validator

from synloom.spec.backend import BackendConfig, LocalBackendConfig
from synloom.spec.base import Int, SpecModel
from synloom.spec.generation import MAX_SAMPLES_PER_LABEL, GenerationConfig
from synloom.spec.recipe import FewShotRecipe, RecipeConfig, ZeroGenRecipe
from synloom.spec.templates import LABEL_FIELDS, RESERVED_FIELDS, check_template

MAX_TOTAL_SAMPLES = 10 * MAX_SAMPLES_PER_LABEL


class TaskKind(str, Enum):
    TEXT_CLASSIFICATION = "text_classification"
    TEXT_PAIR_CLASSIFICATION = "text_pair_classification"
    EXTRACTIVE_QA = "extractive_qa"
    INSTRUCTION = "instruction"


CLASSIFICATION_KINDS = {TaskKind.TEXT_CLASSIFICATION, TaskKind.TEXT_PAIR_CLASSIFICATION}


class Label(SpecModel):
    name: str = Field(min_length=1)
    description: str = ""
    verbalizers: list[str] = Field(default_factory=list, description="label words; first is used")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if value != value.strip() or not all(ch.isprintable() for ch in value):
            raise ValueError(
                f"label name {value!r} must not start or end with spaces or hold control characters"
            )
        return value

    @field_validator("verbalizers")
    @classmethod
    def _check_verbalizers(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):
            raise ValueError("verbalizers must not be blank")
        return value

    @property
    def verbalizer(self) -> str:
        return self.verbalizers[0] if self.verbalizers else self.name


class SeedExample(SpecModel):
    text: str = Field(min_length=1)
    label: str
    text_b: str | None = None


class Task(SpecModel):
    kind: TaskKind = TaskKind.TEXT_CLASSIFICATION
    description: str = ""


class TaskSpec(SpecModel):
    """Everything a run needs, validated before any model call."""

    name: str = Field("task", min_length=1)
    task: Task = Field(default_factory=Task)
    labels: list[Label] = Field(default_factory=list)
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="dimension -> values; one value per request"
    )
    seed_examples: list[SeedExample] = Field(default_factory=list)
    recipe: RecipeConfig = Field(default_factory=ZeroGenRecipe)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    backend: BackendConfig = Field(default_factory=LocalBackendConfig)
    seed: Int = Field(0, ge=-(2**63), le=2**63 - 1)

    @field_validator("recipe", "backend", mode="before")
    @classmethod
    def _default_type(cls, value: object, info: ValidationInfo) -> object:
        """`type` may be left out: the recipe is then zerogen and the backend local (the defaults)."""
        if isinstance(value, dict) and "type" not in value:
            return {"type": "zerogen" if info.field_name == "recipe" else "local"} | value
        return value

    @field_validator("attributes")
    @classmethod
    def _check_attributes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for dim, values in value.items():
            if not dim.isidentifier():
                raise ValueError(f"attribute name {dim!r} must be an identifier")
            if dim in RESERVED_FIELDS:
                raise ValueError(
                    f"attribute name {dim!r} is reserved (it would replace {{{dim}}} in every "
                    f"prompt); reserved: {', '.join(sorted(RESERVED_FIELDS))}"
                )
            if not values:
                raise ValueError(f"attribute {dim!r} has no values")
        return value

    @model_validator(mode="after")
    def _check(self) -> TaskSpec:
        kind = self.task.kind
        if kind not in CLASSIFICATION_KINDS:
            raise ValueError(
                f"task kind {kind.value!r} is declared but no recipe supports it yet; "
                "use text_classification or text_pair_classification"
            )
        names = [label.name for label in self.labels]
        if len(names) < 2:
            raise ValueError(
                f"labels: a classification task needs at least 2 labels, got {len(names)}"
            )
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"labels: duplicate label name(s): {', '.join(dupes)}")
        for i, ex in enumerate(self.seed_examples):
            if ex.label not in names:
                raise ValueError(
                    f"seed_examples[{i}]: unknown label {ex.label!r}; labels are {', '.join(names)}"
                )
        total = self.generation.samples_per_label * len(names)
        if total > MAX_TOTAL_SAMPLES:
            raise ValueError(
                f"generation.samples_per_label: {self.generation.samples_per_label} x "
                f"{len(names)} labels = {total} samples, more than the {MAX_TOTAL_SAMPLES} a run allows"
            )
        self._check_recipe(names)
        return self

    def _check_recipe(self, names: list[str]) -> None:
        recipe = self.recipe
        is_pair = self.is_pair
        has_contexts = bool(recipe.contexts) or recipe.contexts_file is not None
        if recipe.context_stage is not None and has_contexts:
            raise ValueError(
                "recipe: give either context_stage or contexts/contexts_file, not both"
            )
        if is_pair and not has_contexts:
            raise ValueError(
                "recipe: a pair task needs the unlabeled first sentences in contexts or contexts_file"
            )
        if is_pair and recipe.context_stage is not None:
            raise ValueError("recipe: pair tasks take given contexts, not a context_stage")
        allowed = LABEL_FIELDS | set(self.attributes)
        if has_contexts or recipe.context_stage is not None:
            allowed = allowed | {"context"}
        for label in recipe.label_prompts:
            if label not in names:
                raise ValueError(f"recipe.label_prompts: unknown label {label!r}")
        templates = {"recipe.prompt": recipe.prompt} | {
            f"recipe.label_prompts.{k}": v for k, v in recipe.label_prompts.items()
        }
        for where, template in templates.items():
            used = check_template(template, allowed, where)
            if is_pair and "context" not in used:
                raise ValueError(f"{where}: a pair task's prompt must use {{context}}")
        if isinstance(recipe, FewShotRecipe):
            ex_allowed = LABEL_FIELDS | {"text"} | ({"text_b"} if is_pair else set())
            used = check_template(recipe.example_template, ex_allowed, "recipe.example_template")
            if "text" not in used:
                raise ValueError("recipe.example_template must use {text}")
            missing = [n for n in names if not any(e.label == n for e in self.seed_examples)]
            if missing:
                raise ValueError(
                    "recipe fewshot needs seed_examples for every label; none for: "
                    + ", ".join(missing)
                )
            fewest = min(names, key=lambda n: sum(e.label == n for e in self.seed_examples))
            have = sum(e.label == fewest for e in self.seed_examples)
            if recipe.example_ratio > 0 and recipe.k > have:
                raise ValueError(
                    f"recipe.k: {recipe.k} examples per request, but label {fewest!r} has only "
                    f"{have} seed_examples"
                )

    def label(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        raise KeyError(name)

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def is_pair(self) -> bool:
        """Whether samples are sentence pairs: a given first text and a generated second one."""
        return self.task.kind == TaskKind.TEXT_PAIR_CLASSIFICATION
