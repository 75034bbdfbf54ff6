"""Distinct-n: share of n-grams in a corpus that are unique (Li et al., 2016).

Li, Galley, Brockett, Gao, Dolan. "A Diversity-Promoting Objective Function for Neural
Conversation Models." NAACL 2016. Corpus-level: distinct n-grams / all n-grams over every text,
as in `vendi_score.text_utils.ngram_diversity`. It falls as the corpus grows, so compare
equal-size samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.quality.info import Metric, MetricInfo
from synloom.quality.tokens import ngrams, tokens_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="distinct_n",
        family="diversity",
        measures="distinct n-grams / total n-grams over the corpus, n = 1..4, and their mean",
        range="[0, 1]",
        better="higher",
        citation="Li et al., A Diversity-Promoting Objective Function for Neural Conversation "
        "Models, NAACL 2016",
        function="synloom.quality.metrics.distinct_n:distinct_ns",
        inputs=("texts",),
        headline="mean",
        label="distinct_n (mean of n=1..4)",
    ),
)


def distinct_n(
    texts: Sequence[str],
    n: int = 1,
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
) -> float:
    """Distinct / total n-grams over all texts; 0.0 when there are no n-grams.

    `tokens`: the texts' token lists when already computed (then `tokenizer` is unused)."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for toks in tokens_of(texts, tokenizer, tokens):
        grams = ngrams(toks, n)
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def distinct_ns(
    texts: Sequence[str],
    ns: Sequence[int] = (1, 2, 3, 4),
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
) -> dict[str, float]:
    """`distinct_<n>` for each n, plus `mean` over them."""
    token_lists = tokens_of(texts, tokenizer, tokens)
    out = {f"distinct_{n}": distinct_n(texts, n, tokens=token_lists) for n in ns}
    out["mean"] = sum(out.values()) / len(ns)
    return out


def _compute(inputs: ScoringInputs) -> dict[str, float]:
    return distinct_ns(inputs.texts, tokens=inputs.tokens)


METRIC = Metric("distinct_n", METRICS, needs=("tokens",), compute=_compute)
