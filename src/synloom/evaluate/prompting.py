"""The generator's own zero-shot prompting baseline (ZeroGen, Ye et al., EMNLP 2022).

For each test input and each label, fill that label's generation prompt and score the input as
its continuation with the same generator; predict the label whose prompt gives the lowest mean
token loss (highest mean log-prob). For pair tasks the first text fills `{context}` and the
second is scored. All (input, label) pairs go to the backend in large batches.

Optional contextual calibration (Zhao et al., ICML 2021, "Calibrate before use"): score
content-free inputs ("N/A", "[MASK]") the same way, average their label distributions p_cf, and
subtract log p_cf from every input's label scores (the log-space form of W = diag(p_cf)^-1). This
removes the bias a verbalizer adds to the likelihood of any text.

Long inputs are cut to their first `max_text_tokens` tokens (default 512) when the backend can
tokenize (`truncate_texts`); how many were cut is part of the result, never silent. The backend
bounds each forward pass by tokens, so memory does not grow with the length of the test set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.backends.base import Backend
    from synloom.batching import Truncation
    from synloom.spec import TaskSpec

CONTENT_FREE_INPUTS = ("N/A", "[MASK]")
DEFAULT_MAX_TEXT_TOKENS = 512


@dataclass(frozen=True)
class PromptingResult:
    """Predictions with the (n, K) matrix of per-label mean token log-probs behind them."""

    labels: list[str]
    predictions: list[str]
    scores: np.ndarray
    calibrated: bool
    content_free_bias: list[float] | None = None
    truncation: Truncation | None = None

    @property
    def note(self) -> str | None:
        """One line for the user when test texts were cut, else None."""
        if self.truncation is None:
            return None
        note = self.truncation.note("test texts were")
        return None if note is None else f"{note} for the prompting baseline"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"calibrated": self.calibrated, "n": len(self.predictions)}
        if self.content_free_bias is not None:
            out["content_free_log_prior"] = dict(
                zip(self.labels, self.content_free_bias, strict=True)
            )
        if self.truncation is not None:
            out["truncation"] = self.truncation.to_json()
        if self.note is not None:
            out["note"] = self.note
        return out


def label_prompt_renderer(
    spec: TaskSpec, fill: dict[str, str] | None = None
) -> Callable[[str, str | None], str]:
    """A function (label, context) -> the recipe's zero-shot prompt for that label.

    Placeholders other than the label fields and `{context}` (attributes, or a single-text
    recipe's generated context) must be given in `fill`.
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
                f"prompting baseline: the prompt uses {{{exc.args[0]}}}, which a test input "
                "cannot fill; give a prompt without it (synloom evaluate --prompt '...')"
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
    for start in range(0, len(prompts), chunk_size):
        logprobs = backend.score(
            prompts[start : start + chunk_size], continuations[start : start + chunk_size]
        )
        means += [float(np.mean(lp)) for lp in logprobs]
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
    probs = _softmax(scores)
    return np.log(probs.mean(axis=0))


def predict_zero_shot(
    backend: Backend,
    spec: TaskSpec,
    texts: Sequence[str],
    texts_b: Sequence[str] | None = None,
    *,
    calibrate: bool = False,
    content_free: Sequence[str] = CONTENT_FREE_INPUTS,
    fill: dict[str, str] | None = None,
    template: str | None = None,
    chunk_size: int = 256,
    max_text_tokens: int | None = DEFAULT_MAX_TEXT_TOKENS,
) -> PromptingResult:
    """Label each input with the generator's zero-shot prompting baseline.

    `template` replaces the recipe's prompt (and per-label prompts), e.g. to drop a `{context}`
    that only the generation stage can fill; `fill` gives values for other placeholders.
    `max_text_tokens` cuts longer inputs (each text of a pair) to their first tokens when the
    backend can tokenize; the result counts them. None keeps whole texts (up to the model's
    context, beyond which a local backend refuses).
    """
    if template is not None:
        spec = with_prompt(spec, template)
    pair = spec.is_pair
    if pair and texts_b is None:
        raise SynloomError("prompting baseline: a pair task needs the second texts (text_b)")
    if not pair and texts_b is not None:
        raise SynloomError("prompting baseline: the spec is a single-text task; text_b given")
    labels = spec.label_names
    render = label_prompt_renderer(spec, fill)
    texts, texts_b, truncation = truncate_inputs(backend, texts, texts_b, max_text_tokens)
    scores = zero_shot_scores(backend, render, labels, texts, texts_b, chunk_size=chunk_size)
    bias = None
    if calibrate:
        log_prior = content_free_log_prior(backend, render, labels, pair=pair, inputs=content_free)
        scores = scores - log_prior
        bias = [float(b) for b in log_prior]
    predictions = [labels[i] for i in scores.argmax(axis=1)] if len(scores) else []
    return PromptingResult(labels, predictions, scores, calibrate, bias, truncation)


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


def with_prompt(spec: TaskSpec, template: str) -> TaskSpec:
    """A copy of `spec` whose recipe uses `template` for every label (validated)."""
    from pydantic import ValidationError

    from synloom.spec.task import TaskSpec

    recipe = spec.recipe.model_copy(update={"prompt": template, "label_prompts": {}})
    data = spec.model_dump() | {"recipe": recipe.model_dump()}
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise SynloomError(
            f"prompting baseline: bad prompt {template!r}: {exc.errors()[0]['msg']}"
        ) from None


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
