"""Vocabulary size: distinct word tokens in the corpus (a lexical-richness count).

Reported for synthetic corpora by e.g. Yu et al. (AttrPrompt, NeurIPS 2023) and Ye et al.
(ZeroGen, EMNLP 2022). Grows with corpus size, so compare equal-size samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.quality.info import MetricInfo
from synloom.quality.tokens import tokenize_all

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

METRICS = (
    MetricInfo(
        name="vocabulary_size",
        family="diversity",
        measures="number of distinct lower-cased tokens (words and punctuation marks)",
        range="[0, inf)",
        better="higher",
        citation="Yu et al., Large Language Model as Attributed Training Data Generator, "
        "NeurIPS 2023",
        function="synloom.quality.vocabulary:vocabulary_size",
        inputs=("texts",),
    ),
)


def vocabulary_size(
    texts: Sequence[str],
    tokenizer: Callable[[str], list[str]] | None = None,
    words_only: bool = False,
) -> int:
    """Distinct tokens over all texts; `words_only` drops punctuation tokens."""
    vocab: set[str] = set()
    for tokens in tokenize_all(texts, tokenizer):
        vocab.update(tokens)
    if words_only:
        vocab = {t for t in vocab if any(ch.isalnum() for ch in t)}
    return len(vocab)
