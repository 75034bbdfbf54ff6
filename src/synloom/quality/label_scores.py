"""How well a text fits each label, in the generator's own words: the (n, K) mean-log-prob matrix.

Fill each label's generation prompt (the recipe's zero-shot prompt for that label, with the
input's context) and score the text as its continuation: mean token log-prob per (text, label).
Shared by the generator's prompting baseline (ZeroGen, Ye et al., EMNLP 2022;
`synloom.evaluate.prompting`) and the generator-based curation methods (`synloom.curate`).

Also here: content-free calibration (Zhao et al., ICML 2021, "Calibrate before use"), cutting
long inputs by the backend's tokenizer, and replacing the recipe's prompt by one template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from synloom.errors import SynloomError
from synloom.progress import step

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.backends.base import Backend
    from synloom.batching import Truncation
    from synloom.spec import TaskSpec

CONTENT_FREE_INPUTS = ("N/A", "[MASK]")
DEFAULT_MAX_TEXT_TOKENS = 512
_WHO = "prompting baseline"
_HINT = "synloom evaluate --prompt '...'"


def label_prompt_renderer(
    spec: TaskSpec,
    fill: dict[str, str] | None = None,
    *,
    who: str = _WHO,
    subject: str = "a test input",
    hint: str = _HINT,
) -> Callable[[str, str | None], str]:
    """A function (label, context) -> the recipe's zero-shot prompt for that label.

    Placeholders other than the label fields and `{context}` (attributes, or a single-text
    recipe's generated context) must be given in `fill`. `who`, `subject` and `hint` word the
    error a placeholder that cannot be filled raises (the caller, its inputs, how to give
    another prompt).
    """
    from synloom.prompts import PromptBuilder

    builder = PromptBuilder(spec)
    fill = dict(fill or {})
    extra_context = fill.pop("context", None)

    def render(label: str, context: str | None) -> str:
        try:
            return builder.render(
                label,
                context=context if context is not None else extra_context,
                attributes=fill,
            )
        except KeyError as exc:
            raise SynloomError(
                f"{who}: the prompt uses {{{exc.args[0]}}}, which {subject} "
                f"cannot fill; give a prompt without it ({hint})"
            ) from None

    return render


def zero_shot_scores(
    backend: Backend,
    render: Callable[[str, str | None], str],
    labels: Sequence[str],
    texts: Sequence[str],
    texts_b: Sequence[str] | None = None,
    *,
    chunk_size: int = 256,
) -> np.ndarray:
    """(n, K) mean token log-probs of each input under each label's prompt (higher = better)."""
    prompts: list[str] = []
    continuations: list[str] = []
    for i, text in enumerate(texts):
        context, target = (text, texts_b[i]) if texts_b is not None else (None, text)
        if not target.strip():
            raise SynloomError(f"prompting baseline: input {i} is empty")
        for label in labels:
            prompts.append(render(label, context))
            continuations.append(target)
    means: list[float] = []
    done = 0  # texts whose every label is scored
    with step("zero-shot label scores (LM)", len(texts), "texts") as progress:
        for start in range(0, len(prompts), chunk_size):
            logprobs = backend.score(
                prompts[start : start + chunk_size], continuations[start : start + chunk_size]
            )
            means += [float(np.mean(lp)) for lp in logprobs]
            progress.advance(len(means) // len(labels) - done)
            done = len(means) // len(labels)
    return np.asarray(means, dtype=np.float64).reshape(len(texts), len(labels))


def content_free_log_prior(
    backend: Backend,
    render: Callable[[str, str | None], str],
    labels: Sequence[str],
    *,
    pair: bool = False,
    inputs: Sequence[str] = CONTENT_FREE_INPUTS,
) -> np.ndarray:
    """log of the mean label distribution that content-free inputs receive (Zhao et al., 2021)."""
    scores = zero_shot_scores(backend, render, labels, list(inputs), list(inputs) if pair else None)
    probs = softmax(scores)
    return np.log(probs.mean(axis=0))


def truncate_inputs(
    backend: Backend,
    texts: Sequence[str],
    texts_b: Sequence[str] | None,
    max_tokens: int | None,
) -> tuple[list[str], list[str] | None, Truncation | None]:
    """Inputs cut to `max_tokens` tokens by the backend's tokenizer, and the count of inputs
    (pairs count once) that were cut; unchanged with None when the backend cannot tokenize."""
    from synloom.backends.base import TruncatingBackend
    from synloom.batching import Truncation

    if max_tokens is None or not isinstance(backend, TruncatingBackend):
        return list(texts), None if texts_b is None else list(texts_b), None
    texts, first = backend.truncate_texts(texts, max_tokens)
    if texts_b is None:
        return texts, None, first
    texts_b, second = backend.truncate_texts(texts_b, max_tokens)
    cut = tuple(sorted(set(first.indices) | set(second.indices)))
    return texts, texts_b, Truncation(len(cut), len(texts), max_tokens, cut)


def with_prompt(spec: TaskSpec, template: str, *, who: str = _WHO) -> TaskSpec:
    """A copy of `spec` whose recipe uses `template` for every label (validated)."""
    from pydantic import ValidationError

    from synloom.spec.task import TaskSpec

    recipe = spec.recipe.model_copy(update={"prompt": template, "label_prompts": {}})
    data = spec.model_dump() | {"recipe": recipe.model_dump()}
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise SynloomError(f"{who}: bad prompt {template!r}: {exc.errors()[0]['msg']}") from None


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of an (n, K) score matrix."""
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
