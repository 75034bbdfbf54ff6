"""Oracle agreement: does a classifier trained on real data give each sample its intended label?

Ye et al., "ZeroGen: Efficient Zero-shot Learning via Dataset Generation", EMNLP 2022 (label
correctness of 10,000 samples judged by a model trained on gold data). Here the oracle is an
L2-regularised logistic regression (scikit-learn) on features the caller supplies: MiniLM
embeddings (`synloom.embeddings.embed_texts`) or TF-IDF (`tfidf_features`). Higher agreement =
more samples carry a label a real-data classifier accepts; it is bounded by the oracle's own
accuracy, so `oracle_accuracy` (on a real held-out split when given) is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.metrics.confusion import LabelConfusion, label_confusion

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="oracle_agreement",
        family="correctness",
        measures="share of samples whose label a logistic-regression classifier trained on real "
        "data predicts",
        range="[0, 1]",
        better="higher",
        citation="Ye et al., ZeroGen: Efficient Zero-shot Learning via Dataset Generation, "
        "EMNLP 2022",
        function="synloom.quality.metrics.oracle:oracle_agreement",
        inputs=("embeddings", "labels", "reference_embeddings", "reference_labels"),
        headline="agreement",
    ),
)


@dataclass(frozen=True)
class OracleAgreement:
    agreement: float
    confusion: LabelConfusion
    oracle_accuracy: float | None  # on the held-out real split, when one was given
    n_train: int


def oracle_agreement(
    real_features,
    real_labels: Sequence[str],
    features,
    labels: Sequence[str],
    heldout_features=None,
    heldout_labels: Sequence[str] | None = None,
    c: float = 1.0,
    seed: int = 0,
) -> OracleAgreement:
    """Train on (real_features, real_labels); report agreement on (features, labels)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(real_labels)) < 2:
        raise SynloomError("the oracle needs real data with at least two labels")
    if real_features.shape[0] != len(real_labels) or features.shape[0] != len(labels):
        raise SynloomError("features and labels differ in length")
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    model.fit(real_features, list(real_labels))
    judged = [str(p) for p in model.predict(features)]
    order = sorted(set(real_labels) | set(labels))
    confusion = label_confusion(list(labels), judged, order)
    accuracy = None
    if heldout_features is not None and heldout_labels is not None:
        accuracy = float(model.score(heldout_features, list(heldout_labels)))
    return OracleAgreement(confusion.agreement, confusion, accuracy, len(real_labels))


def tfidf_features(real_texts: Sequence[str], *others: Sequence[str]):
    """TF-IDF (1-2 grams, sublinear tf) fitted on the real texts; returns one matrix per input."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    fitted = vectorizer.fit_transform(list(real_texts))
    return (fitted, *(vectorizer.transform(list(t)) for t in others))


def _skip(inputs: ScoringInputs) -> str | None:
    if len(set(inputs.reference_labels)) < 2:
        return "reference data has fewer than two labels"
    return None


def _compute(inputs: ScoringInputs) -> OracleAgreement:
    """Trained on the reference minus its holdout; the holdout gives the oracle's accuracy."""
    ref, train, hold = inputs.reference_embeddings, inputs.train_idx, inputs.hold_idx
    ref_labels = inputs.reference_labels
    return oracle_agreement(
        ref[train],
        [ref_labels[i] for i in train],
        inputs.embeddings,
        inputs.labels,
        ref[hold] if len(hold) else None,
        [ref_labels[i] for i in hold] if len(hold) else None,
        seed=inputs.seed,
    )


METRIC = Metric(
    "oracle_agreement",
    METRICS,
    needs=("embeddings", "labels", "reference_embeddings"),
    compute=_compute,
    skip=_skip,
)
