"""What metrics are computed from, each computed at most once per `score_dataset` call.

Token lists (the corpus is tokenized once, not once per n-gram metric), embeddings of the
samples, the reference and the seed examples (each side embedded once), the seeded split of the
reference into an oracle training part and a holdout, MAUVE's subsamples and the samples the LM
metrics score. The seeded draws are made up front in a fixed order, so which metrics run never
changes them. A metric names what it needs (`Metric.needs`); `why_missing` gives the skip
reason for an input that does not exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.quality.tokens import tokenize_all
from synloom.sampling import subsample_indices

if TYPE_CHECKING:
    import numpy as np

    from synloom.quality.logprobs import ScoreFn

NO_REFERENCE = "needs reference (real) data"
NO_HOLDOUT = "reference data too small for a holdout (needs >= 10 rows)"
NO_SEEDS = "needs seed examples"
NO_SCORER = "needs a scoring backend"
NO_VERBALIZERS = "needs label verbalizers"
NO_ATTRIBUTES = "no sample has attribute values (meta.attributes; drawn by recipes with attributes)"

# input -> the input whose absence makes it missing (None: always there)
NEEDS: dict[str, str | None] = {
    "texts": None,
    "labels": None,
    "tokens": None,
    "embeddings": None,
    "reference": "reference",
    "reference_tokens": "reference",
    "reference_embeddings": "reference",
    "holdout": "holdout",
    "seed_texts": "seed_texts",
    "seed_tokens": "seed_texts",
    "seed_embeddings": "seed_texts",
    "scorer": "scorer",
    "verbalizers": "verbalizers",
    "attributes": "attributes",
}
# Inputs computed on first use; the suite computes a metric's before timing it.
LAZY = ("tokens", "embeddings", "reference_tokens", "reference_embeddings")
LAZY += ("seed_tokens", "seed_embeddings")


@dataclass
class ScoringInputs:
    """The shared inputs of one scoring; `record(name, summary, seconds)` notes an embedding."""

    texts: list[str]
    labels: list[str]
    embed: Callable[[Sequence[str]], Any]
    reference_texts: list[str] = field(default_factory=list)
    reference_labels: list[str] = field(default_factory=list)
    seed_texts: list[str] = field(default_factory=list)
    scorer: ScoreFn | None = None
    verbalizers: Mapping[str, Sequence[str]] | None = None
    relabel_template: str | None = None  # None: the relabel metric's default
    # per sample, the attribute values its request drew (`meta["attributes"]`; {} for none)
    attributes: list[Mapping[str, str]] = field(default_factory=list)
    max_model_samples: int = 1000
    mauve_max_samples: int = 2000
    seed: int = 0
    record: Callable[[str, dict, float], None] | None = None
    # column -> sample index -> value: what a metric keeps per sample (`keep_per_sample`)
    per_sample: dict[str, dict[int, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import numpy as np

        rng = np.random.default_rng(self.seed)
        n_ref = len(self.reference_texts)
        order = rng.permutation(n_ref) if n_ref else np.arange(0)
        n_hold = max(1, n_ref // 5) if n_ref >= 10 else 0
        self.hold_idx, self.train_idx = order[:n_hold], order[n_hold:]
        self.mauve_reference_idx = self.mauve_idx = np.arange(0)
        if n_ref:
            self.mauve_reference_idx = subsample_indices(n_ref, self.mauve_max_samples, rng)
            self.mauve_idx = subsample_indices(len(self.texts), self.mauve_max_samples, rng)
        self.model_idx = np.arange(0)
        if self.scorer is not None:
            self.model_idx = subsample_indices(len(self.texts), self.max_model_samples, rng)

    def why_missing(self, need: str) -> str | None:
        """Why `need` does not exist for this scoring, or None when it does."""
        if need not in NEEDS:
            raise SynloomError(f"unknown metric input {need!r}; known: {', '.join(NEEDS)}")
        base = NEEDS[need]
        if base is None:
            return None
        if base == "holdout":
            return self.why_missing("reference") or (None if len(self.hold_idx) else NO_HOLDOUT)
        present = {
            "reference": bool(self.reference_texts),
            "seed_texts": bool(self.seed_texts),
            "scorer": self.scorer is not None,
            "verbalizers": bool(self.verbalizers),
            "attributes": any(self.attributes),
        }[base]
        reasons = {
            "reference": NO_REFERENCE,
            "seed_texts": NO_SEEDS,
            "scorer": NO_SCORER,
            "verbalizers": NO_VERBALIZERS,
            "attributes": NO_ATTRIBUTES,
        }
        return None if present else reasons[base]

    def keep_per_sample(self, column: str, values: Sequence[Any]) -> None:
        """Keep one value per LM-scored sample (`model_idx` order) as `column`; `score_dataset`
        returns them under `per_sample`, so a run's scores say which sample got which."""
        if len(values) != len(self.model_idx):
            raise SynloomError(
                f"{column}: got {len(values)} per-sample values for {len(self.model_idx)} samples"
            )
        self.per_sample[column] = {int(i): v for i, v in zip(self.model_idx, values, strict=True)}

    def prepare(self, needs: Sequence[str]) -> None:
        """Compute the lazy inputs among `needs` now (so a metric's timing excludes them)."""
        for need in needs:
            if need in LAZY:
                getattr(self, need)

    @cached_property
    def tokens(self) -> list[list[str]]:
        return tokenize_all(self.texts)

    @cached_property
    def reference_tokens(self) -> list[list[str]]:
        return tokenize_all(self.reference_texts)

    @cached_property
    def seed_tokens(self) -> list[list[str]]:
        return tokenize_all(self.seed_texts)

    @cached_property
    def embeddings(self) -> np.ndarray:
        return self._embed(self.texts, "embed")

    @cached_property
    def reference_embeddings(self) -> np.ndarray:
        return self._embed(self.reference_texts, "embed_reference")

    @cached_property
    def seed_embeddings(self) -> np.ndarray:
        return self._embed(self.seed_texts, None)

    @property
    def model_texts(self) -> list[str]:
        """The (seeded subsample of) samples the LM metrics score."""
        return [self.texts[i] for i in self.model_idx]

    @property
    def model_labels(self) -> list[str]:
        return [self.labels[i] for i in self.model_idx]

    def _embed(self, texts: list[str], name: str | None) -> np.ndarray:
        import numpy as np

        start = time.perf_counter()
        emb = np.asarray(self.embed(texts))
        if name is not None and self.record is not None:
            summary = {"n": len(texts)}
            if name == "embed":
                summary["dim"] = int(emb.shape[1])
            self.record(name, summary, time.perf_counter() - start)
        return emb
