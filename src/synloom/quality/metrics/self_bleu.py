"""Self-BLEU: mean BLEU of each sample against all the others (Zhu et al., 2018).

Zhu, Lu, Zheng, Guo, Zhang, Wang, Yu. "Texygen: A Benchmarking Platform for Text Generation
Models." SIGIR 2018; BLEU: Papineni et al., ACL 2002; smoothing method1: Chen & Cherry, WMT 2014.
Higher Self-BLEU = samples resemble each other = less diverse (ZeroGen reports it on 1,000
samples).

Exact and fast: the result equals, to float rounding, the mean over i of
`nltk.translate.bleu_score.sentence_bleu(others_i, tokens_i, weights=(1/k,)*k,
smoothing_function=SmoothingFunction().method1)`, for BLEU-1..k. Instead of re-counting every
reference for every hypothesis (O(N²)), one pass per order keeps, for every n-gram, its largest
and second-largest per-sample count and how many samples hold the largest. The max count over
"all others" is then the largest count unless sample i is its only holder, in which case it is
the second largest. The closest reference length (nltk: ties go to the shorter) comes from the
sorted multiset of lengths with sample i removed. Cost O(total n-grams).
Texts are split by `synloom.quality.tokens.tokenize` unless a tokenizer is given.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.tokens import tokens_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="self_bleu",
        family="diversity",
        measures="mean BLEU-k (k = 1..5, uniform weights, smoothing method1) of each sample "
        "against all other samples as references",
        range="[0, 1]",
        better="lower",
        citation="Zhu et al., Texygen: A Benchmarking Platform for Text Generation Models, "
        "SIGIR 2018; Papineni et al., BLEU, ACL 2002",
        function="synloom.quality.metrics.self_bleu:self_bleu",
        inputs=("texts",),
        headline="self_bleu_4",
        label="self_bleu (BLEU-4)",
    ),
)

EPSILON = 0.1  # nltk SmoothingFunction().method1 default


def self_bleu(
    texts: Sequence[str],
    max_order: int = 5,
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
) -> dict[str, float]:
    """`self_bleu_k` for k = 1..max_order: the mean over samples of BLEU-k vs all others.

    `tokens`: the texts' token lists when already computed (then `tokenizer` is unused)."""
    scores = self_bleu_per_sample(texts, max_order=max_order, tokenizer=tokenizer, tokens=tokens)
    return {f"self_bleu_{k}": float(scores[:, k - 1].mean()) for k in range(1, max_order + 1)}


def self_bleu_per_sample(
    texts: Sequence[str],
    max_order: int = 5,
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
) -> np.ndarray:
    """Array (n_samples, max_order): column k-1 holds each sample's BLEU-k against the rest."""
    import numpy as np

    if len(texts) < 2:
        raise SynloomError(f"Self-BLEU needs at least 2 texts, got {len(texts)}")
    if max_order < 1:
        raise SynloomError(f"Self-BLEU max_order must be >= 1, got {max_order}")
    token_lists = tokens_of(texts, tokenizer, tokens)
    lengths = [len(t) for t in token_lists]
    numerators = [_clipped_matches(token_lists, n) for n in range(1, max_order + 1)]
    closest = _closest_other_lengths(lengths)

    out = np.zeros((len(token_lists), max_order), dtype=np.float64)
    for i, hyp_len in enumerate(lengths):
        if numerators[0][i] == 0:  # nltk returns 0 when no unigram matches
            continue
        ref_len = closest[i]
        bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
        logs = []
        for n in range(1, max_order + 1):
            num, den = numerators[n - 1][i], max(1, hyp_len - n + 1)
            p = (num + EPSILON) / den if num == 0 else num / den
            logs.append(math.log(p))
        for k in range(1, max_order + 1):
            w = 1 / k
            out[i, k - 1] = bp * math.exp(math.fsum(w * lp for lp in logs[:k]))
    return out


def _clipped_matches(token_lists: Sequence[Sequence[str]], n: int) -> list[int]:
    """Per sample: sum over its n-grams of min(count, max count in any *other* sample)."""
    counters = [Counter(zip(*(toks[j:] for j in range(n)), strict=False)) for toks in token_lists]
    # n-gram -> [largest count, how many samples hold it, second largest]
    stats: dict[tuple[str, ...], list[int]] = {}
    for counts in counters:
        for gram, c in counts.items():
            s = stats.get(gram)
            if s is None:
                stats[gram] = [c, 1, 0]
            elif c > s[0]:
                s[2], s[0], s[1] = s[0], c, 1
            elif c == s[0]:
                s[1] += 1
            elif c > s[2]:
                s[2] = c
    matches = []
    for counts in counters:
        total = 0
        for gram, c in counts.items():
            top, holders, second = stats[gram]
            total += second if (c == top and holders == 1) else c
        matches.append(total)
    return matches


def _closest_other_lengths(lengths: list[int]) -> list[int]:
    """nltk's closest_ref_length over all other samples: nearest length, ties -> shorter."""
    freq = Counter(lengths)
    uniq = sorted(freq)
    out = []
    for length in lengths:
        if freq[length] > 1:
            out.append(length)
            continue
        pos = bisect.bisect_left(uniq, length)
        lower = uniq[pos - 1] if pos > 0 else None
        upper = uniq[pos + 1] if pos + 1 < len(uniq) else None
        if upper is None or (lower is not None and length - lower <= upper - length):
            out.append(lower)
        else:
            out.append(upper)
    return out


def _compute(inputs: ScoringInputs) -> dict[str, float]:
    return self_bleu(inputs.texts, tokens=inputs.tokens)


METRIC = Metric("self_bleu", METRICS, needs=("tokens",), compute=_compute)
