"""MSP's denoising: rank samples by how under-represented their attribute values are in the pool
and how close they are to the real seed examples of their label.

MSP (Chen et al., "Mixture of Soft Prompts for Controllable Data Generation", Findings of
EMNLP 2023) over-generates, gives every new sample a noise score

    noise = attribute_weight · a + similarity_weight · (1 − c)        (MSP: 0.5 and 0.5)

and keeps the samples with the lowest noise. Here the score is `-noise` (higher = more
trustworthy, the convention of every method) and the method is a `rank`: the size target
(`--keep`, `--per-label`) keeps the lowest-noise samples of each label.

**a, the attribute-frequency term.** MSP's code ("frequency ratio") counts each attribute over
the seed data, turns the counts into fractions and scores a sample by the mean fraction of its
attributes: a sample made of common attributes scores high (bad), so selecting low scores
re-balances the data towards rare attribute values. synloom's seed examples carry no attributes,
so the pool itself is counted: for a sample of label y and each dimension d it has in
`meta["attributes"]` (AttrPrompt's drawn values, or the spec's `attributes`), the share of y's
samples with dimension d whose value equals the sample's; a is the mean share over its
dimensions, in [0, 1]. The values were drawn uniformly, so a value above its fair share 1/V
(V = the values of d seen for y) is one the generator over-produced or the others lost to
rejections; ranking by the share favours under-represented values and evens the kept set out.
Counted per label, because AttrPrompt draws values from a table per label and the size target
keeps per label; per dimension rather than pooled over all of them (as MSP's code does), so the
term's scale does not shrink with the number of dimensions. The share over the fair share (1 =
balanced, 2 = twice the fair share) is stored as `attribute_ratio` to read, not used.
A sample without attributes in a pool where others have them gets its label's mean share
(neutral); a pool in which no sample has attributes (ZeroGen, few-shot runs) drops the term: its
weight counts as 0, and the step's summary says `attribute_term: dropped (...)`.

**c, the similarity term.** MSP compares each new sample with the seed example it was generated
from (MiniLM cosine). A synloom sample has no such exemplar, so c is the cosine similarity to
the centroid of the real seed examples of its own label (`similarity: centroid`, the default;
`nearest` takes the most similar seed instead). The centroid is a prototype that 8-16 seeds
estimate robustly, while the nearest seed is one seed's say, so one odd or mislabeled seed
vouches for everything near it; the plain mean of the cosines ranks like the centroid within a
label but shrinks the term's spread (by the centroid's norm, about 0.5), so at MSP's 0.5/0.5 mix
the attribute term drowned it (a 3x-skewed value kept 4 of 20 off-domain texts in the end-to-end
test; the centroid keeps 1). Measured with 16 seeds per label (tests/curate/test_msp_denoise.py):
the centroid ranks clean samples above off-domain ones with AUROC 0.982 (SST-2) / 0.957
(TREC-6), nearest 0.949 / 0.942; above flipped labels 0.511 / 0.842, nearest 0.497 / 0.811.
The price is a slightly less diverse kept half (mean pairwise cosine 0.122 against 0.109 on
TREC-6). Embeddings are the frozen MiniLM of every embedding method; pairs are embedded as
"first [SEP] second" like their seeds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from synloom.curate.base import Method, MethodInfo, MethodOptions, MethodScores
from synloom.curate.heads import seed_features

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.curate.data import CurationData


class MspDenoiseOptions(MethodOptions):
    """attribute_weight, similarity_weight: the mix of the two terms of the noise (MSP: 0.5 and
    0.5; not both 0); similarity: the cosine to the centroid of the seeds of the sample's label
    (centroid) or to the nearest one (nearest)."""

    attribute_weight: float = Field(default=0.5, ge=0)
    similarity_weight: float = Field(default=0.5, ge=0)
    similarity: Literal["centroid", "nearest"] = "centroid"

    @model_validator(mode="after")
    def _some_weight(self) -> MspDenoiseOptions:
        if self.attribute_weight == 0 and self.similarity_weight == 0:
            raise ValueError("attribute_weight and similarity_weight are both 0: nothing to rank")
        return self


def attribute_shares(
    labels: Sequence[str], attributes: Sequence[dict[str, Any] | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sample: the mean over its dimensions of its value's share among its label's samples
    with that dimension, the same over the fair share 1/V, and whether it has attributes (the
    two means are the label's mean for samples without, 0 when no sample of the label has any).
    """
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    drawn = [_values(a) for a in attributes]
    for label, values in zip(labels, drawn, strict=True):
        for dim, value in values.items():
            counts[label, dim][value] += 1
    n = len(labels)
    share, ratio = np.zeros(n), np.zeros(n)
    has = np.asarray([bool(v) for v in drawn], dtype=bool)
    for i, (label, values) in enumerate(zip(labels, drawn, strict=True)):
        if values:
            of = [counts[label, dim] for dim in values]
            shares = [c[v] / c.total() for c, v in zip(of, values.values(), strict=True)]
            share[i] = np.mean(shares)
            ratio[i] = np.mean([s * len(c) for s, c in zip(shares, of, strict=True)])
    labels_arr = np.asarray(labels, dtype=object)
    for label in set(labels):
        mine = labels_arr == label
        known = mine & has
        if known.any():
            share[mine & ~has] = share[known].mean()
            ratio[mine & ~has] = ratio[known].mean()
    return share, ratio, has


def _values(attributes: dict[str, Any] | None) -> dict[str, str]:
    """A sample's drawn values as strings (a value that is not one, e.g. a list, as its repr)."""
    if not isinstance(attributes, dict):
        return {}
    return {str(k): v if isinstance(v, str) else repr(v) for k, v in attributes.items()}


def seed_similarity(data: CurationData, how: str) -> tuple[np.ndarray, int]:
    """(n,) cosine of each sample to its own label's seed centroid (or nearest seed), and the
    number of seeds."""
    seeds, seed_labels = seed_features(data, INFO.name)
    x = data.embeddings()
    sims = x @ seeds.T if how == "nearest" else None
    own = data.label_index
    out = np.zeros(len(data))
    for label in np.unique(own):
        rows, cols = own == label, seed_labels == label
        if how == "nearest":
            out[rows] = sims[np.ix_(rows, cols)].max(axis=1)  # type: ignore[index]
        else:
            centroid = seeds[cols].mean(axis=0)
            out[rows] = x[rows] @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
    return out, len(seed_labels)


INFO = MethodInfo(
    name="msp-denoise",
    kind="rank",
    measures=(
        "minus MSP's noise: attribute_weight · the share of the sample's attribute values in its"
        " label's pool + similarity_weight · (1 − cosine to its label's real seed centroid)"
    ),
    citation="MSP, Chen et al., Findings of EMNLP 2023 (denoising)",
    needs=("seeds", "embeddings"),
)


class MspDenoise(Method):
    info = INFO
    options = MspDenoiseOptions

    def score(self, data: CurationData, options: MspDenoiseOptions) -> MethodScores:
        if len(data) == 0:
            seed_features(data, INFO.name)  # a missing or partial seed set fails even so
            return MethodScores(np.zeros(0), summary=self._summary(options, None, 0, 0))
        cosine, n_seeds = seed_similarity(data, options.similarity)
        share, ratio, has = attribute_shares(data.labels, data.attributes)
        details: dict[str, np.ndarray] = {"seed_cosine": cosine}
        attribute_weight = options.attribute_weight
        if has.any():
            details |= {"attribute_share": share, "attribute_ratio": ratio}
        else:
            attribute_weight = 0.0
        noise = attribute_weight * share + options.similarity_weight * (1.0 - cosine)
        summary = self._summary(options, has, int((~has).sum()), n_seeds)
        return MethodScores(-noise, details=details, summary=summary)

    @staticmethod
    def _summary(
        options: MspDenoiseOptions, has: np.ndarray | None, without: int, n_seeds: int
    ) -> dict[str, Any]:
        if has is not None and not has.any():
            term = "dropped (no sample has meta attributes; its weight counts as 0)"
        else:
            term = "used"
        return options.model_dump() | {
            "attribute_term": term,
            "samples_without_attributes": without,
            "seeds": n_seeds,
        }


METHOD = MspDenoise()
