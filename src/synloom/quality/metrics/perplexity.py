"""Perplexity of the samples under a fixed reference language model (naturalness).

Jelinek, Mercer, Bahl & Baker, "Perplexity—a measure of the difficulty of speech recognition
tasks", JASA 1977; as in HF `evaluate`'s perplexity metric, a sample's perplexity is
exp(mean token negative log-likelihood). Reported: `mean` of per-sample perplexities (HF
evaluate's `mean_perplexity`), their `median`, and `corpus` = exp(total NLL / total tokens).
Lower = more predictable text for the reference LM; compare only under the same LM and tokenizer.
Samples longer than `max_tokens` tokens are scored on their first `max_tokens` tokens when the
scorer's backend can tokenize; `n_truncated` counts them. The backend bounds each forward pass by
tokens, so long samples cost time, not unbounded memory. Each scored sample's perplexity is kept
apart from the summary (the per-sample column `perplexity` of `score_dataset`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.logprobs import ScoreFn, score_in_batches, text_truncator

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="perplexity",
        family="naturalness",
        measures="exp(mean token negative log-likelihood) under a reference LM (default: the "
        "embedded generator)",
        range="[1, inf)",
        better="lower",
        citation="Jelinek et al., Perplexity—a measure of the difficulty of speech recognition "
        "tasks, JASA 1977",
        function="synloom.quality.metrics.perplexity:perplexity",
        inputs=("token_logprobs",),
        headline="mean",
        label="perplexity (mean)",
    ),
)


@dataclass(frozen=True)
class PerplexityResult:
    mean: float
    median: float
    corpus: float
    n_samples: int
    n_tokens: int
    n_truncated: int = 0
    max_tokens: int | None = None


def sample_perplexities(token_logprobs: Sequence[np.ndarray]) -> np.ndarray:
    """exp(−mean log-prob) of each sample's tokens."""
    import numpy as np

    out = np.empty(len(token_logprobs))
    for i, lp in enumerate(token_logprobs):
        lp = np.asarray(lp, dtype=np.float64)
        if lp.size == 0:
            raise SynloomError(f"sample {i} has no scored tokens; perplexity is undefined")
        out[i] = np.exp(-lp.mean())
    return out


def perplexity(token_logprobs: Sequence[np.ndarray]) -> PerplexityResult:
    """Summaries of per-token log-probs (natural log), one array per sample."""
    import numpy as np

    if len(token_logprobs) == 0:
        raise SynloomError("perplexity needs at least one sample")
    per_sample = sample_perplexities(token_logprobs)
    total = sum(float(np.sum(lp)) for lp in token_logprobs)
    n_tokens = sum(int(np.size(lp)) for lp in token_logprobs)
    return PerplexityResult(
        mean=float(per_sample.mean()),
        median=float(np.median(per_sample)),
        corpus=float(np.exp(-total / n_tokens)),
        n_samples=len(token_logprobs),
        n_tokens=n_tokens,
    )


DEFAULT_PROMPT = "\n"
DEFAULT_MAX_TOKENS = 1024


def score_perplexity(
    score: ScoreFn,
    texts: Sequence[str],
    prompt: str = DEFAULT_PROMPT,
    batch_size: int = 64,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
) -> PerplexityResult:
    """Perplexity of `texts` as continuations of `prompt` under a backend's `score`.

    The default prompt is a newline so that every token of the text is predicted from some
    context (tokenizers such as SmolLM2's add no BOS token, so the first token of a bare text
    has nothing to condition on). Texts over `max_tokens` are cut (None: never) when `score` is
    a bound method of a backend with `truncate_texts`, and counted in the result.
    """
    return _scored(score, texts, prompt, batch_size, max_tokens)[0]


def _scored(
    score: ScoreFn,
    texts: Sequence[str],
    prompt: str = DEFAULT_PROMPT,
    batch_size: int = 64,
    max_tokens: int | None = DEFAULT_MAX_TOKENS,
) -> tuple[PerplexityResult, list[np.ndarray]]:
    """`score_perplexity`'s result and the token log-probs it summarises, one array per text."""
    from dataclasses import replace

    texts = list(texts)
    truncate = text_truncator(score)
    cut = None
    if max_tokens is not None and truncate is not None:
        texts, cut = truncate(texts, max_tokens)
    logprobs = score_in_batches(score, [prompt] * len(texts), texts, batch_size, "perplexity (LM)")
    result = perplexity(logprobs)
    if cut is not None:
        result = replace(result, n_truncated=cut.n_truncated, max_tokens=cut.max_tokens)
    return result, logprobs


def _compute(inputs: ScoringInputs) -> dict:
    """Perplexity of the LM-scored subsample, with its size (`n_scored`); each scored sample's
    perplexity is kept as the per-sample column `perplexity`."""
    texts = inputs.model_texts
    result, logprobs = _scored(inputs.scorer, texts)
    inputs.keep_per_sample("perplexity", sample_perplexities(logprobs).tolist())
    return asdict(result) | {"n_scored": len(texts)}


METRIC = Metric("perplexity", METRICS, needs=("scorer",), compute=_compute)
