"""What a curation method is: `MethodInfo` describes it, `CurationMethod` scores samples.

A method gives every sample it sees one number, its **score** (higher = more trustworthy), and,
for weighting methods, a **weight** in [0, 1]. What happens to a score is the method's `kind`:

- `filter`: drop the samples whose score is below the method's threshold;
- `rank`: drop nothing; the size target (`--keep` / `--per-label`) keeps the top per label;
- `weight`: drop nothing; multiply each sample's weight by the method's weight.

Methods compose in the order given; each sees only the samples its predecessors kept
(`synloom.curate.pipeline`). A method never changes a sample: the runner stores its scores and
the pipeline's decisions beside the samples (`synloom.store.curations`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import numpy as np

    from synloom.curate.data import CurationData

Kind = Literal["filter", "rank", "weight"]


class MethodOptions(BaseModel):
    """Options of one method (`--set METHOD.KEY=VALUE`); subclass with defaults per method."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class MethodInfo:
    """One curation method, readable without opening the code.

    `needs` names what it uses beyond texts and labels: "generator" (the run's backend with
    prompt log-probs), "judge" (a model that answers in words), "seeds" (real labeled seed
    examples), "embeddings". `per_sample` methods score each sample on its own, so the runner
    scores and stores them in chunks and a killed curation resumes mid-method; the others see
    all samples at once and are stored when done.
    """

    name: str
    kind: Kind
    measures: str  # what the score is; higher = more trustworthy
    citation: str
    needs: tuple[str, ...] = ()
    per_sample: bool = False


@dataclass(frozen=True)
class MethodScores:
    """What a method says about the samples it was given, in their order.

    `details` holds further per-sample numbers worth keeping (e.g. cartography's variability),
    each an array of the same length; `summary` holds run-level facts (settings it resolved,
    training curves) stored with the curation.
    """

    scores: np.ndarray  # (n,) float; NaN = could not score (kept, reason recorded)
    weights: np.ndarray | None = None  # (n,) in [0, 1] for `weight` methods
    details: dict[str, np.ndarray] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


class CurationMethod(Protocol):
    """A curation method: its info, its options model and how it scores samples."""

    info: MethodInfo
    options: type[MethodOptions]

    def threshold(self, options: MethodOptions) -> float | None:
        """The score below which a `filter` drops a sample (None for other kinds)."""
        ...

    def score(self, data: CurationData, options: MethodOptions) -> MethodScores:
        """Score every sample of `data` (deterministic given `data.seed` and `options`)."""
        ...


class Method:
    """Base of the built-in methods: `info` and `options` as class attributes, and a filter's
    threshold taken from its options' `threshold` field (else `default_threshold`)."""

    info: ClassVar[MethodInfo]
    options: ClassVar[type[MethodOptions]]
    default_threshold: ClassVar[float | None] = None

    def threshold(self, options: MethodOptions) -> float | None:
        if self.info.kind != "filter":
            return None
        return getattr(options, "threshold", self.default_threshold)
