"""Leakage: synthetic samples that copy or nearly copy seed / real records, and which ones.

Three detectors, strongest first: exact match of the normalised token sequence; a shared word
n-gram (default 8) with some reference text, the n-gram overlap test used for contamination in
Brown et al., "Language Models are Few-Shot Learners", NeurIPS 2020 (13-grams there; sentences
here are short); and embedding nearest-neighbour cosine ≥ threshold (paraphrase-level copies;
Carlini et al., "Extracting Training Data from Large Language Models", USENIX Security 2021
motivates checking near copies). Each leaked sample is listed once with its strongest kind.
Lower leak rate is better.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.neighbors import nearest_cosine
from synloom.quality.tokens import ngrams, tokens_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="leakage",
        family="privacy",
        measures="share of samples that exactly match, share an n-gram with, or have an "
        "embedding cosine >= threshold to a seed/real record; plus the list of leaked samples",
        range="[0, 1]",
        better="lower",
        citation="Brown et al., Language Models are Few-Shot Learners, NeurIPS 2020 (n-gram "
        "overlap); Carlini et al., Extracting Training Data from LLMs, USENIX Security 2021",
        function="synloom.quality.metrics.leakage:find_leaks",
        inputs=("texts", "reference_texts", "embeddings?", "reference_embeddings?"),
        headline="leak_rate",
    ),
)


@dataclass(frozen=True)
class Leak:
    index: int  # position in the synthetic texts
    kind: str  # "exact" | "ngram" | "embedding"
    reference_index: int
    score: float  # 1.0 exact; share of the sample's n-grams found; or cosine
    text: str
    reference_text: str


@dataclass(frozen=True)
class LeakageResult:
    n_samples: int
    n_exact: int
    n_ngram: int
    n_embedding: int
    leak_rate: float
    ngram: int
    cosine_threshold: float | None
    leaks: list[Leak] = field(default_factory=list)


def find_leaks(
    texts: Sequence[str],
    reference_texts: Sequence[str],
    ngram: int = 8,
    embeddings: np.ndarray | None = None,
    reference_embeddings: np.ndarray | None = None,
    cosine_threshold: float = 0.9,
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
    reference_tokens: Sequence[Sequence[str]] | None = None,
) -> LeakageResult:
    """Find samples in `texts` that leak `reference_texts` (embedding check when both given);
    `tokens` / `reference_tokens`: their token lists when already computed."""
    if not reference_texts:
        raise SynloomError("leakage needs reference (seed or real) texts")
    if ngram < 1:
        raise SynloomError(f"leakage ngram must be >= 1, got {ngram}")
    toks = tokens_of(texts, tokenizer, tokens)
    ref_toks = tokens_of(reference_texts, tokenizer, reference_tokens)
    exact_index: dict[tuple[str, ...], int] = {}
    gram_index: dict[tuple[str, ...], int] = {}
    for j, rt in enumerate(ref_toks):
        exact_index.setdefault(tuple(rt), j)
        for g in ngrams(rt, ngram):
            gram_index.setdefault(g, j)

    found: dict[int, tuple[str, int, float]] = {}
    for i, tt in enumerate(toks):
        j = exact_index.get(tuple(tt))
        if j is not None:
            found[i] = ("exact", j, 1.0)
            continue
        grams = ngrams(tt, ngram)
        hits = [gram_index[g] for g in grams if g in gram_index]
        if hits:
            ref, _ = Counter(hits).most_common(1)[0]
            found[i] = ("ngram", ref, len(hits) / len(grams))

    use_embeddings = embeddings is not None and reference_embeddings is not None
    if use_embeddings:
        if len(embeddings) != len(texts) or len(reference_embeddings) != len(reference_texts):
            raise SynloomError("embeddings and texts differ in length")
        sims, idx = nearest_cosine(embeddings, reference_embeddings)
        for i in range(len(texts)):
            if i not in found and sims[i] >= cosine_threshold:
                found[i] = ("embedding", int(idx[i]), float(sims[i]))

    leaks = [
        Leak(i, kind, j, score, texts[i], reference_texts[j])
        for i, (kind, j, score) in sorted(found.items())
    ]
    kinds = Counter(leak.kind for leak in leaks)
    return LeakageResult(
        n_samples=len(texts),
        n_exact=kinds["exact"],
        n_ngram=kinds["ngram"],
        n_embedding=kinds["embedding"],
        leak_rate=len(leaks) / len(texts) if texts else 0.0,
        ngram=ngram,
        cosine_threshold=cosine_threshold if use_embeddings else None,
        leaks=leaks,
    )


def _compute_reference(inputs: ScoringInputs) -> LeakageResult:
    return find_leaks(
        inputs.texts,
        inputs.reference_texts,
        embeddings=inputs.embeddings,
        reference_embeddings=inputs.reference_embeddings,
        tokens=inputs.tokens,
        reference_tokens=inputs.reference_tokens,
    )


def _compute_seed(inputs: ScoringInputs) -> LeakageResult:
    return find_leaks(
        inputs.texts,
        inputs.seed_texts,
        embeddings=inputs.embeddings,
        reference_embeddings=inputs.seed_embeddings,
        tokens=inputs.tokens,
        reference_tokens=inputs.seed_tokens,
    )


_NEEDS = ("tokens", "embeddings")
REFERENCE = Metric(
    "leakage_reference",
    METRICS,
    needs=(*_NEEDS, "reference_tokens", "reference_embeddings"),
    compute=_compute_reference,
    label="leakage vs reference",
)
SEED = Metric(
    "leakage_seed",
    METRICS,
    needs=(*_NEEDS, "seed_tokens", "seed_embeddings"),
    compute=_compute_seed,
    label="leakage vs seed examples",
)
