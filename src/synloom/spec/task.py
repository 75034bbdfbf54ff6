"""The task spec: what to generate, for which labels, with which recipe, model and budget."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import (
    Field,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from synloom.spec.backend import BackendConfig, LocalBackendConfig
from synloom.spec.base import Int, SpecModel
from synloom.spec.generation import MAX_SAMPLES_PER_LABEL, GenerationConfig
from synloom.spec.recipe import DEFAULT_RECIPE, RecipeConfig, recipe_config_class
from synloom.spec.seed_files import SeedFile
from synloom.spec.templates import RESERVED_FIELDS

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
    attributes: dict[str, str] | None = Field(
        None, description="dimension -> value, among the spec's `attributes` (MSP trains on them)"
    )

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Unset attributes are left out, so a spec without them dumps (and fingerprints) as it
        did before the field existed."""
        data = handler(self)
        if isinstance(data, dict) and data.get("attributes") is None:
            data.pop("attributes", None)
        return data


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
    seed_examples_file: SeedFile | None = Field(
        None, description="seed examples read from a file (see synloom.spec.seed_files)"
    )
    seed_examples: list[SeedExample] = Field(default_factory=list, validate_default=True)
    recipe: SerializeAsAny[RecipeConfig] = Field(
        default_factory=lambda: recipe_config_class(DEFAULT_RECIPE)()
    )
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    backend: BackendConfig = Field(default_factory=LocalBackendConfig)
    seed: Int = Field(0, ge=-(2**63), le=2**63 - 1)

    @field_validator("backend", mode="before")
    @classmethod
    def _default_type(cls, value: object, info: ValidationInfo) -> object:
        """`type` may be left out: the backend is then local (the default)."""
        if isinstance(value, dict) and "type" not in value:
            return {"type": "local"} | value
        return value

    @field_validator("recipe", mode="wrap")
    @classmethod
    def _recipe_config(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """A mapping becomes the config class of the recipe its `type` names (found through the
        registry of `spec/recipe.py`; zerogen when left out); a config object passes as is."""
        if isinstance(value, dict):
            name = value.get("type", DEFAULT_RECIPE)
            if not isinstance(name, str):
                raise ValueError(f"type: must be a recipe name, not {type(name).__name__}")
            return recipe_config_class(name).model_validate({"type": name} | value)
        if isinstance(value, RecipeConfig):
            config = recipe_config_class(getattr(value, "type", ""))  # unknown types refused
            if not isinstance(value, config):
                raise ValueError(f"{type(value).__name__} is not the config class of its recipe")
            return value
        return handler(value)

    @field_validator("seed_examples")
    @classmethod
    def _seeds_from_file(cls, value: list[SeedExample], info: ValidationInfo) -> list[SeedExample]:
        """The rows of `seed_examples_file`, read by the loader that `parse_spec` passes in the
        validation context (it knows the spec's folder). Without one (a stored run's manifest,
        a spec copied in code) the seeds read when the spec was loaded are kept as they are."""
        file = info.data.get("seed_examples_file")
        loader = (info.context or {}).get("seed_loader")
        if file is None:
            return value
        if loader is None:
            if not value:
                raise ValueError(
                    "seed_examples_file is read only when a spec is loaded with "
                    "synloom.spec.load_spec or parse_spec, not by TaskSpec(...) itself"
                )
            return value
        if "labels" not in info.data:  # bad labels: their error is the one to show
            return value
        names = [label.name for label in info.data["labels"]]
        attributes = info.data.get("attributes") or {}
        loaded = [SeedExample.model_validate(row) for row in loader(file, names, attributes)]
        if value and value != loaded:  # equal ones: a loaded spec dumped and read back
            raise ValueError(
                "give seed_examples or seed_examples_file, not both (the inline seeds differ "
                "from the file's rows)"
            )
        return loaded

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
        if kind == TaskKind.INSTRUCTION:
            return self._check_instruction()
        if kind not in CLASSIFICATION_KINDS:
            raise ValueError(
                f"task kind {kind.value!r} is declared but no recipe supports it yet; "
                "use text_classification, text_pair_classification or instruction"
            )
        if getattr(self.recipe, "task_kind", None) == TaskKind.INSTRUCTION.value:
            raise ValueError(
                f"recipe {self.recipe.type!r} generates instruction data: set task.kind: "
                "instruction (and give no labels)"
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
            for dim, value in (ex.attributes or {}).items():
                values = self.attributes.get(dim)
                if values is None:
                    declared = ", ".join(self.attributes) or "none"
                    raise ValueError(
                        f"seed_examples[{i}]: attribute {dim!r} is not declared in attributes "
                        f"(declared: {declared})"
                    )
                if value not in values:
                    raise ValueError(
                        f"seed_examples[{i}]: attribute {dim!r}: {value!r} is not one of its "
                        f"values ({', '.join(values)})"
                    )
        total = self.generation.samples_per_label * len(names)
        if total > MAX_TOTAL_SAMPLES:
            raise ValueError(
                f"generation.samples_per_label: {self.generation.samples_per_label} x "
                f"{len(names)} labels = {total} samples, more than the {MAX_TOTAL_SAMPLES} a run allows"
            )
        self.recipe.check(self)
        return self

    def _check_instruction(self) -> TaskSpec:
        """An instruction task (Self-Instruct): no labels, seeds or attributes of its own (its
        seed tasks are the recipe's); `samples_per_label` is the number of instructions."""
        if getattr(self.recipe, "task_kind", None) != TaskKind.INSTRUCTION.value:
            raise ValueError(
                f"task kind 'instruction' needs an instruction recipe (type: self_instruct), "
                f"not {self.recipe.type!r}"
            )
        for name, value in (
            ("labels", self.labels),
            ("seed_examples", self.seed_examples),
            ("attributes", self.attributes),
        ):
            if value:
                raise ValueError(
                    f"{name}: an instruction task takes none (its seed tasks are "
                    "recipe.seed_tasks or recipe.seed_tasks_file)"
                )
        if self.seed_examples_file is not None:
            raise ValueError(
                "seed_examples_file: an instruction task's seeds are recipe.seed_tasks_file"
            )
        self.recipe.check(self)
        return self

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
