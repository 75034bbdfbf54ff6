"""INGF: inter-sample n-gram frequency, how often each distinct n-gram recurs in the corpus.

Used as a diversity measure of synthetic training data by Yu et al. (AttrPrompt), "Large Language
Model as Attributed Training Data Generator: A Tale of Diversity and Bias", NeurIPS 2023
(Datasets and Benchmarks). Definition used here: the mean, over distinct n-grams, of their
count in the corpus. With `count="occurrences"` (default) every occurrence counts, so
INGF = 1 / distinct-n at the same n; with `count="samples"` an n-gram counts once per sample
(document frequency), which isolates repetition *across* samples. Lower is more diverse; 1.0
means no n-gram occurs twice.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Literal

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.tokens import ngrams, tokens_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="ingf",
        family="diversity",
        measures="mean corpus frequency of each distinct n-gram (occurrences or samples)",
        range="[1, inf)",
        better="lower",
        citation="Yu et al., Large Language Model as Attributed Training Data Generator: A Tale "
        "of Diversity and Bias, NeurIPS 2023",
        function="synloom.quality.metrics.ingf:ingf",
        inputs=("texts",),
        headline="ingf_1",
        label="ingf (n=1)",
    ),
)


def ingf(
    texts: Sequence[str],
    n: int = 2,
    count: Literal["occurrences", "samples"] = "occurrences",
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
) -> float:
    """Mean frequency of the distinct n-grams; 0.0 when the corpus has no n-grams.

    `tokens`: the texts' token lists when already computed (then `tokenizer` is unused)."""
    if count not in ("occurrences", "samples"):
        raise SynloomError(f"ingf count must be 'occurrences' or 'samples', not {count!r}")
    freq: Counter[tuple[str, ...]] = Counter()
    for toks in tokens_of(texts, tokenizer, tokens):
        grams = ngrams(toks, n)
        freq.update(set(grams) if count == "samples" else grams)
    return sum(freq.values()) / len(freq) if freq else 0.0


def _compute(inputs: ScoringInputs) -> dict[str, float]:
    return {f"ingf_{n}": ingf(inputs.texts, n, tokens=inputs.tokens) for n in (1, 2, 3)}


METRIC = Metric("ingf", METRICS, needs=("tokens",), compute=_compute)
