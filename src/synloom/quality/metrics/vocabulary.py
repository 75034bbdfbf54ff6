"""Vocabulary size: distinct word tokens in the corpus (a lexical-richness count).

Reported for synthetic corpora by e.g. Yu et al. (AttrPrompt, NeurIPS 2023) and Ye et al.
(ZeroGen, EMNLP 2022). Grows with corpus size, so compare equal-size samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.quality.info import Metric, MetricInfo
from synloom.quality.tokens import tokens_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="vocabulary_size",
        family="diversity",
        measures="number of distinct lower-cased tokens (words and punctuation marks)",
        range="[0, inf)",
        better="higher",
        citation="Yu et al., Large Language Model as Attributed Training Data Generator, "
        "NeurIPS 2023",
        function="synloom.quality.metrics.vocabulary:vocabulary_size",
        inputs=("texts",),
    ),
)


def vocabulary_size(
    texts: Sequence[str],
    tokenizer: Callable[[str], list[str]] | None = None,
    words_only: bool = False,
    tokens: Sequence[Sequence[str]] | None = None,
) -> int:
    """Distinct tokens over all texts; `words_only` drops punctuation tokens.

    `tokens`: the texts' token lists when already computed (then `tokenizer` is unused)."""
    vocab: set[str] = set()
    for toks in tokens_of(texts, tokenizer, tokens):
        vocab.update(toks)
    if words_only:
        vocab = {t for t in vocab if any(ch.isalnum() for ch in t)}
    return len(vocab)


def _compute(inputs: ScoringInputs) -> int:
    return vocabulary_size(inputs.texts, tokens=inputs.tokens)


METRIC = Metric("vocabulary_size", METRICS, needs=("tokens",), compute=_compute)
