"""Fill a recipe's label-conditioned prompt: verbalizer, context and attributes. What a recipe
puts before the prompt (few-shot examples, say) it renders itself and passes as `prefix`."""

from __future__ import annotations

import random
from dataclasses import dataclass

from synloom.spec import TaskSpec


@dataclass
class PromptBuilder:
    """Renders one request's prompt from the spec's recipe (`prompt`, per-label `label_prompts`);
    all random choices come from the caller's seeded RNG."""

    spec: TaskSpec

    def label_fields(self, label: str) -> dict[str, str]:
        """The placeholders every label-conditioned template may use."""
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

    def template(self, label: str) -> str:
        """The label's prompt template: its `label_prompts` entry, else the recipe's `prompt`."""
        recipe = self.spec.recipe
        return getattr(recipe, "label_prompts", {}).get(label, recipe.prompt)  # type: ignore[attr-defined]

    def render(
        self,
        label: str,
        *,
        context: str | None = None,
        attributes: dict[str, str] | None = None,
        prefix: str = "",
    ) -> str:
        fields = self.label_fields(label) | (attributes or {})
        if context is not None:
            fields["context"] = context
        return prefix + self.template(label).format_map(fields)
