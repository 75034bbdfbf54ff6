"""Relabel agreement: does a language model, scoring each label's verbalizer, pick the intended label?

Verbalizer scoring as in Schick & Schütze, "Exploiting Cloze Questions for Few Shot Text
Classification and Natural Language Inference", EACL 2021; used to check generated labels in
e.g. Ye et al. (ZeroGen, EMNLP 2022) and Gao et al. (SunGen, ICLR 2023). For sample x and label
y the score is log P(" " + verbalizer_y | template(x)), summed over the verbalizer's tokens
(log-sum-exp over a label's verbalizers). Optional contextual calibration (Zhao et al.,
"Calibrate Before Use", ICML 2021) subtracts the scores of a content-free input. Per scored
sample, the LM's label and the margin (own label's score minus the best other's) are kept apart
from the summary (the per-sample columns `relabel_label` and `relabel_margin`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.logprobs import ScoreFn, score_in_batches
from synloom.quality.metrics.confusion import LabelConfusion, label_confusion

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np

    from synloom.quality.inputs import ScoringInputs

DEFAULT_TEMPLATE = "Text: {text}\nLabel:"

METRICS = (
    MetricInfo(
        name="relabel_agreement",
        family="correctness",
        measures="share of samples for which the LM's highest-scoring verbalizer is the intended "
        "label",
        range="[0, 1]",
        better="higher",
        citation="Schick & Schütze, Exploiting Cloze Questions for Few Shot Text Classification, "
        "EACL 2021; Zhao et al., Calibrate Before Use, ICML 2021",
        function="synloom.quality.metrics.relabel:relabel_agreement",
        inputs=("labels", "label_scores"),
        headline="agreement",
    ),
)


@dataclass(frozen=True)
class RelabelAgreement:
    agreement: float
    confusion: LabelConfusion
    judged: list[str]


def relabel_agreement(
    labels: Sequence[str],
    label_scores: np.ndarray,
    label_names: Sequence[str],
    calibration: np.ndarray | None = None,
) -> RelabelAgreement:
    """Agreement of argmax over `label_scores` (n × len(label_names)) with `labels`."""
    import numpy as np

    scores = np.asarray(label_scores, dtype=np.float64)
    if scores.shape != (len(labels), len(label_names)):
        raise SynloomError(
            f"label_scores has shape {scores.shape}, expected ({len(labels)}, {len(label_names)})"
        )
    if calibration is not None:
        scores = scores - np.asarray(calibration, dtype=np.float64)[None, :]
    judged = [label_names[j] for j in scores.argmax(axis=1)]
    confusion = label_confusion(list(labels), judged, list(label_names))
    return RelabelAgreement(confusion.agreement, confusion, judged)


def verbalizer_scores(
    score: ScoreFn,
    texts: Sequence[str],
    verbalizers: Mapping[str, Sequence[str]],
    template: str = DEFAULT_TEMPLATE,
    batch_size: int = 64,
) -> np.ndarray:
    """Array (n_texts, n_labels), labels in `verbalizers` order: log P(verbalizer | prompt)."""
    import numpy as np
    from scipy.special import logsumexp

    if "{text}" not in template:
        raise SynloomError("the relabel template must contain {text}")
    names = list(verbalizers)
    words = [(j, w) for j, name in enumerate(names) for w in (verbalizers[name] or [name])]
    prompts, continuations = [], []
    for text in texts:
        prompt = template.replace("{text}", text)
        for _, word in words:
            prompts.append(prompt)
            continuations.append(" " + word.strip())
    logprobs = score_in_batches(
        score, prompts, continuations, batch_size, "relabel: verbalizers (LM)", "prompts"
    )
    totals = np.array([float(np.sum(lp)) for lp in logprobs]).reshape(len(texts), len(words))
    out = np.full((len(texts), len(names)), -np.inf)
    for j in range(len(names)):
        cols = [k for k, (label, _) in enumerate(words) if label == j]
        out[:, j] = logsumexp(totals[:, cols], axis=1)
    return out


def relabel_margins(
    labels: Sequence[str], label_scores: np.ndarray, label_names: Sequence[str]
) -> np.ndarray:
    """Per sample: the score of its own label minus the best other label's (log-prob units; < 0
    means the LM prefers another label). One label only: +inf (nothing to confuse it with)."""
    import numpy as np

    scores = np.asarray(label_scores, dtype=np.float64)
    own_k = np.array([list(label_names).index(label) for label in labels], dtype=np.int64)
    rows = np.arange(len(labels))
    own = scores[rows, own_k]
    others = scores.copy()
    others[rows, own_k] = -np.inf
    return own - others.max(axis=1)


def _skip(inputs: ScoringInputs) -> str | None:
    missing = set(inputs.model_labels) - set(inputs.verbalizers or {})
    return f"labels without verbalizers: {sorted(missing)}" if missing else None


def _compute(inputs: ScoringInputs) -> dict:
    """Agreement on the LM-scored subsample (`n_scored`); the per-sample judgements are kept
    apart, as the per-sample columns `relabel_label` and `relabel_margin`."""
    texts, labels, names = inputs.model_texts, inputs.model_labels, list(inputs.verbalizers or {})
    template = inputs.relabel_template or DEFAULT_TEMPLATE
    scores = verbalizer_scores(inputs.scorer, texts, inputs.verbalizers, template)
    result = asdict(relabel_agreement(labels, scores, names))
    inputs.keep_per_sample("relabel_label", result.pop("judged"))
    inputs.keep_per_sample("relabel_margin", relabel_margins(labels, scores, names).tolist())
    return result | {"n_scored": len(texts)}


METRIC = Metric(
    "relabel_agreement",
    METRICS,
    needs=("scorer", "verbalizers"),
    compute=_compute,
    skip=_skip,
)
