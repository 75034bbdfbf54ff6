"""The training examples of an adapter: each seed example under its label's prompt, the prompt a
recipe renders for that label with nothing before it, so the adapted generator learns to write a
sample of label y where a zero-shot request for y asks for one (FewGen, Meng et al. ICML 2023,
trains its label-conditioned generator the same way). The target is the seed's text followed by
the first stop string (the closing quote of `... is: "`), so generation learns where to stop.

Unlabeled in-domain texts, when given, are plain language-model targets after a start token:
they teach the domain's words and style, not a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.prompts import PromptBuilder

if TYPE_CHECKING:
    from synloom.spec import TaskSpec


@dataclass(frozen=True)
class TrainExample:
    prompt: str  # "" for an unlabeled text
    target: str
    label: str | None

    def to_json(self) -> dict:
        return {"prompt": self.prompt, "target": self.target, "label": self.label}


def label_prompt(spec: TaskSpec, label: str, context: str | None = None) -> str:
    """The recipe's prompt for `label` (its `label_prompts` entry or `prompt`), filled with the
    label's fields; a template that needs what a seed example lacks is a one-line error."""
    builder = PromptBuilder(spec)
    try:
        return builder.render(label, context=context)
    except (KeyError, IndexError, ValueError) as exc:
        missing = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        raise SynloomError(
            f"the recipe's prompt for label {label!r} needs {{{missing}}}, which seed examples do "
            "not give; adapt trains under prompts of {label}, {verbalizer}, {description} and "
            "{task} only (and {context} for pair tasks): set recipe.prompt to such a template"
        ) from None


def training_examples(
    spec: TaskSpec, unlabeled: list[str] | None = None, end: str | None = None
) -> list[TrainExample]:
    """One example per seed (text; for a pair task the second text, after the first as context)
    and one per unlabeled text. `end` follows each target: the spec's first stop string when it
    has one, else the caller passes the tokenizer's end-of-sequence token."""
    if end is None:
        end = spec.generation.stop[0] if spec.generation.stop else ""
    if not spec.seed_examples:
        raise SynloomError(
            "adapt trains on the spec's seed examples and it has none: add seed_examples or "
            "seed_examples_file"
        )
    out = []
    for seed in spec.seed_examples:
        if spec.is_pair:
            if seed.text_b is None:
                raise SynloomError(f"seed example {seed.text[:40]!r} of a pair task lacks text_b")
            prompt, target = label_prompt(spec, seed.label, context=seed.text), seed.text_b
        else:
            prompt, target = label_prompt(spec, seed.label), seed.text
        out.append(TrainExample(prompt, target + end, seed.label))
    prompts = (
        {label: label_prompt(spec, label) for label in spec.label_names} if not spec.is_pair else {}
    )
    if len(set(prompts.values())) < len(prompts):
        raise SynloomError(
            "two labels render the same prompt, so an adapter cannot learn which to write: use "
            "{verbalizer} or {label} in recipe.prompt"
        )
    out.extend(TrainExample("", text + end, None) for text in unlabeled or [])
    return out
