"""The generator's (sample, label) scores, shared by `likelihood` and `margin`, computed once.

Cell (i, k) is the mean token log-prob of sample i's generated text as the continuation of label
k's prompt: the recipe's zero-shot prompt for that label with the sample's context filled (the
generated context of a two-stage ZeroGen run, the given first text of a pair). A few-shot
recipe's in-context examples are left out: they were drawn at random per request, so the score
of a text would depend on which examples happened to precede it; the zero-shot part is the
label-conditioned prompt every request of the label shared. The prompting baseline scores test
inputs the same way (`synloom.quality.label_scores`).

Cells are cached per pool in `data.shared.cache` under the settings that decide them (prompt,
text cut), one (pool size, K) array with a mask of what is done: `likelihood` computes only each
sample's own label, `margin` the rest, and neither ever scores a cell twice, whatever subsets
the runner hands them. Empty texts are NaN (could not score), never sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from synloom.curate.base import MethodOptions
from synloom.quality.label_scores import (
    DEFAULT_MAX_TEXT_TOKENS,
    content_free_log_prior,
    label_prompt_renderer,
    truncate_inputs,
    with_prompt,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from synloom.curate.data import CurationData
    from synloom.spec import TaskSpec


class LabelScoreOptions(MethodOptions):
    """How the generator scores a sample under a label's prompt.

    `prompt` replaces the recipe's prompt for every label (placeholders as in the recipe, e.g.
    `{verbalizer}`; like `synloom evaluate --prompt`), for recipes whose prompt a stored sample
    cannot fill (attributes). `max_text_tokens` cuts longer texts to their first tokens when the
    backend can tokenize (counted in the summary); `batch_size` is the (prompt, text) pairs per
    `Backend.score` call (the local backend bounds each forward pass by tokens within it).
    """

    prompt: str | None = Field(None, min_length=1)
    max_text_tokens: int | None = Field(DEFAULT_MAX_TEXT_TOKENS, ge=1)
    batch_size: int = Field(256, ge=1)


@dataclass
class _Cells:
    """The pool's (N, K) scores under one setting, and which cells are computed."""

    values: np.ndarray
    done: np.ndarray
    truncated: set[int] = field(default_factory=set)  # pool positions whose text was cut
    log_prior: np.ndarray | None = None  # content-free calibration, once computed


def _spec(data: CurationData, options: LabelScoreOptions, who: str) -> TaskSpec:
    if options.prompt is None:
        return data.spec
    return with_prompt(data.spec, options.prompt, who=who)


def _cells(data: CurationData, options: LabelScoreOptions) -> _Cells:
    key = f"label_scores\x00{options.prompt!r}\x00{options.max_text_tokens!r}"
    cells = data.shared.cache.get(key)
    if cells is None:
        shape = (len(data.shared.pool_texts), len(data.label_names))
        cells = _Cells(np.full(shape, np.nan), np.zeros(shape, dtype=bool))
        data.shared.cache[key] = cells
    return cells


def _renderer(data: CurationData, options: LabelScoreOptions, who: str) -> Callable:
    return label_prompt_renderer(
        _spec(data, options, who),
        who=who,
        subject="a stored sample",
        hint=f"--set {who}.prompt='...'",
    )


def label_score_matrix(
    data: CurationData, options: LabelScoreOptions, *, who: str, all_labels: bool
) -> tuple[np.ndarray, int]:
    """(n, K) mean token log-probs of `data`'s samples under each label's prompt, and how many of
    these samples' texts were cut to `max_text_tokens`.

    Only each sample's own label is computed unless `all_labels`; other cells are NaN unless an
    earlier call computed them. Empty texts are NaN in every column.
    """
    cells = _cells(data, options)
    own = data.label_index
    rows = np.arange(len(data))
    want = np.zeros((len(data), len(data.label_names)), dtype=bool)
    if all_labels:
        want[:] = True
    else:
        want[rows, own] = True
    empty = np.asarray([not t.strip() for t in data.texts], dtype=bool)
    want[empty] = False
    todo = want & ~cells.done[data.index]
    if todo.any():
        _compute(data, options, who, cells, todo)
    matrix = np.where(want, cells.values[data.index], np.nan)
    cut = sum(1 for p in data.index if int(p) in cells.truncated)
    return matrix, cut


def _compute(
    data: CurationData, options: LabelScoreOptions, who: str, cells: _Cells, todo: np.ndarray
) -> None:
    render = _renderer(data, options, who)
    labels = data.label_names
    need = np.flatnonzero(todo.any(axis=1))
    first = int(need[0])  # a prompt the samples cannot fill fails here, before the model loads
    render(labels[0], data.texts_a[first] if data.texts_a is not None else data.contexts[first])
    backend = data.generator()
    targets = [data.texts[i] for i in need]
    pair = data.texts_a is not None
    firsts = [data.texts_a[i] for i in need] if pair else None
    targets, firsts, truncation = truncate_inputs(backend, targets, firsts, options.max_text_tokens)
    if truncation is not None:
        cells.truncated.update(int(data.index[need[j]]) for j in truncation.indices)
    prompts: list[str] = []
    continuations: list[str] = []
    where: list[tuple[int, int]] = []
    for j, i in enumerate(need):
        context = firsts[j] if firsts is not None else data.contexts[i]
        for k in np.flatnonzero(todo[i]):
            prompts.append(render(labels[k], context))
            continuations.append(targets[j])
            where.append((int(data.index[i]), int(k)))
    step = options.batch_size
    for start in range(0, len(prompts), step):
        logprobs = backend.score(prompts[start : start + step], continuations[start : start + step])
        for (pos, k), lp in zip(where[start : start + step], logprobs, strict=True):
            cells.values[pos, k] = float(np.mean(lp)) if len(lp) else np.nan
            cells.done[pos, k] = True


def calibration_log_prior(
    data: CurationData, options: LabelScoreOptions, *, who: str
) -> np.ndarray:
    """(K,) log of the label distribution content-free inputs get under the same prompts
    (contextual calibration, Zhao et al., ICML 2021), computed once per setting."""
    cells = _cells(data, options)
    if cells.log_prior is None:
        cells.log_prior = content_free_log_prior(
            data.generator(),
            _renderer(data, options, who),
            data.label_names,
            pair=data.texts_a is not None,
        )
    return cells.log_prior
