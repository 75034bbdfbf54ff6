"""Fill label-conditioned prompts: verbalizer, context, attributes and in-context examples."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from synloom.spec import FewShotRecipe, SeedExample, TaskSpec
from synloom.spec.contexts import read_contexts_file


def load_contexts(spec: TaskSpec) -> list[str] | None:
    """Given contexts of the recipe (inline or from a JSONL/plain-text file), or None."""
    recipe = spec.recipe
    if recipe.contexts:
        return list(recipe.contexts)
    if recipe.contexts_file is None:
        return None
    return read_contexts_file(recipe.contexts_file)


@dataclass
class PromptBuilder:
    """Renders one request's prompt; all random choices come from the caller's seeded RNG."""

    spec: TaskSpec
    _examples: dict[str, list[SeedExample]] = field(init=False)

    def __post_init__(self) -> None:
        self._examples = {name: [] for name in self.spec.label_names}
        for ex in self.spec.seed_examples:
            self._examples[ex.label].append(ex)

    def _label_fields(self, label: str) -> dict[str, str]:
        lab = self.spec.label(label)
        return {
            "label": lab.name,
            "verbalizer": lab.verbalizer,
            "description": lab.description or lab.name,
            "task": self.spec.task.description,
        }

    def sample_attributes(self, rng: random.Random) -> dict[str, str]:
        """One value per attribute dimension (AttrPrompt, Yu et al. 2023)."""
        return {dim: rng.choice(values) for dim, values in sorted(self.spec.attributes.items())}

    def sample_examples(self, label: str, rng: random.Random) -> list[SeedExample]:
        recipe = self.spec.recipe
        if not isinstance(recipe, FewShotRecipe) or rng.random() >= recipe.example_ratio:
            return []
        pool = self._examples[label]
        return rng.sample(pool, min(recipe.k, len(pool)))

    def render(
        self,
        label: str,
        *,
        context: str | None = None,
        attributes: dict[str, str] | None = None,
        examples: list[SeedExample] = (),
    ) -> str:
        recipe = self.spec.recipe
        fields = self._label_fields(label) | (attributes or {})
        if context is not None:
            fields["context"] = context
        template = recipe.label_prompts.get(label, recipe.prompt)
        parts = []
        if examples and isinstance(recipe, FewShotRecipe):
            for ex in examples:
                ex_fields = self._label_fields(ex.label) | {
                    "text": ex.text,
                    "text_b": ex.text_b or "",
                }
                parts.append(recipe.example_template.format_map(ex_fields))
        parts.append(template.format_map(fields))
        return "".join(parts)
