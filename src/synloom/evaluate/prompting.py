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

The (input, label) scoring, the calibration prior, the cutting and the prompt override live in
`synloom.quality.label_scores`, shared with the curation methods; this module predicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from synloom.errors import SynloomError
from synloom.quality.label_scores import (  # also importable from here, as before
    CONTENT_FREE_INPUTS,
    DEFAULT_MAX_TEXT_TOKENS,
    content_free_log_prior,
    label_prompt_renderer,
    truncate_inputs,
    with_prompt,
    zero_shot_scores,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.backends.base import Backend
    from synloom.batching import Truncation
    from synloom.spec import TaskSpec


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
