"""How method scores become decisions: filters drop, the size target keeps the top, weights
multiply.

Methods run in the order given, each on the samples its predecessors kept:
- a `filter` drops every sample whose score is below its threshold (a sample it could not
  score, NaN, is kept and says so);
- a `rank` drops nothing by itself;
- a `weight` drops nothing and multiplies each sample's weight by its weight.
Then the size target (`--keep FRACTION` of each label's pool, `--per-label N`, or the per-label
counts of another curation) keeps, per label, the survivors with the highest score of the LAST
method (ties and NaN: pool order, NaN last). Dropped samples get weight 0 and a reason saying
which step dropped them and why.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synloom.errors import SynloomError


@dataclass(frozen=True)
class SizeTarget:
    """How many samples per label to keep: a fraction of the label's pool, a number, or given
    counts per label. At most one is set; none means no size step."""

    keep: float | None = None
    per_label: int | None = None
    counts: dict[str, int] | None = None

    def __post_init__(self) -> None:
        given = [v is not None for v in (self.keep, self.per_label, self.counts)]
        if sum(given) > 1:
            raise SynloomError("give at most one of --keep, --per-label and --same-size-as")
        if self.keep is not None and not (0.0 < self.keep <= 1.0):
            raise SynloomError(f"--keep must be a fraction in (0, 1], got {self.keep:g}")
        if self.per_label is not None and self.per_label < 1:
            raise SynloomError(f"--per-label must be at least 1, got {self.per_label}")

    @property
    def given(self) -> bool:
        return any(v is not None for v in (self.keep, self.per_label, self.counts))

    def target(self, label: str, pool_size: int) -> int | None:
        """The number of samples of `label` to keep (None: no limit)."""
        if self.keep is not None:
            return max(1, round(self.keep * pool_size)) if pool_size else 0
        if self.per_label is not None:
            return self.per_label
        if self.counts is not None:
            return int(self.counts.get(label, 0))
        return None

    def describe(self) -> str:
        if self.keep is not None:
            return f"keep {self.keep:g} of each label's pool"
        if self.per_label is not None:
            return f"keep {self.per_label} per label"
        if self.counts is not None:
            return "keep " + ", ".join(f"{n} {lab}" for lab, n in sorted(self.counts.items()))
        return "no size target"


@dataclass(frozen=True)
class StepResult:
    """One method's scores over the samples it saw (`positions` into the pool)."""

    method: str
    kind: str
    threshold: float | None
    positions: np.ndarray
    scores: np.ndarray
    weights: np.ndarray | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    kept: bool
    reason: str | None
    weight: float


@dataclass
class Pipeline:
    """The running state of one curation over a pool of `labels` (one per sample)."""

    labels: tuple[str, ...]
    alive: np.ndarray = field(init=False)  # pool positions still kept, in pool order
    reasons: dict[int, str] = field(init=False, default_factory=dict)  # dropped -> why
    notes: dict[int, str] = field(init=False, default_factory=dict)  # kept, with a note
    weights: np.ndarray = field(init=False)
    steps: list[dict[str, Any]] = field(init=False, default_factory=list)
    _last: StepResult | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.alive = np.arange(len(self.labels), dtype=np.int64)
        self.weights = np.ones(len(self.labels), dtype=np.float64)

    def apply(self, step: StepResult) -> None:
        """Record a method's scores for the current survivors and drop what it drops."""
        if not np.array_equal(step.positions, self.alive):
            raise SynloomError(f"{step.method}: scored other samples than the survivors")
        scores = np.asarray(step.scores, dtype=np.float64)
        if scores.shape != self.alive.shape:
            raise SynloomError(f"{step.method}: {len(scores)} scores for {len(self.alive)} samples")
        unscored = np.isnan(scores)
        for pos in self.alive[unscored]:
            self.notes.setdefault(int(pos), f"{step.method}: could not score (kept)")
        drop = np.zeros(len(scores), dtype=bool)
        if step.kind == "filter" and step.threshold is not None:
            drop = ~unscored & (scores < step.threshold)
            for pos, score in zip(self.alive[drop], scores[drop], strict=True):
                self.reasons[int(pos)] = (
                    f"{step.method}: score {score:.4g} < threshold {step.threshold:g}"
                )
        if step.kind == "weight":
            w = scores if step.weights is None else np.asarray(step.weights, dtype=np.float64)
            if np.any(~np.isfinite(w) | (w < 0) | (w > 1)):
                raise SynloomError(f"{step.method}: weights must lie in [0, 1]")
            self.weights[self.alive] *= w
        self.steps.append(
            {
                "method": step.method,
                "kind": step.kind,
                "threshold": step.threshold,
                "input": self._per_label(self.alive),
                "dropped": self._per_label(self.alive[drop]),
                "unscored": int(unscored.sum()),
                "summary": step.summary,
            }
        )
        self._last = step
        self.alive = self.alive[~drop]

    def apply_size(self, size: SizeTarget) -> None:
        """Keep, per label, the top survivors by the last method's score."""
        if not size.given:
            return
        if self._last is None:
            raise SynloomError("a size target needs at least one method to rank by")
        by_pos = dict(zip(self._last.positions.tolist(), self._last.scores.tolist(), strict=True))
        pool = Counter(self.labels)
        keep: list[int] = []
        dropped: list[int] = []
        targets: dict[str, int | None] = {}
        for label in sorted(pool):
            mine = [int(p) for p in self.alive if self.labels[p] == label]
            # highest score first; NaN last; ties in pool order (stable sort)
            mine.sort(key=lambda p: _rank_key(by_pos[p]))
            target = size.target(label, pool[label])
            targets[label] = target
            cut = len(mine) if target is None else min(target, len(mine))
            keep += mine[:cut]
            for rank, pos in enumerate(mine[cut:], start=cut + 1):
                dropped.append(pos)
                self.reasons[pos] = (
                    f"size: rank {rank} of {len(mine)} {label} survivors by {self._last.method},"
                    f" keeping {cut}"
                )
        self.steps.append(
            {
                "method": "size",
                "kind": "size",
                "ranked_by": self._last.method,
                "target": targets,
                "rule": size.describe(),
                "input": self._per_label(self.alive),
                "dropped": self._per_label(np.asarray(dropped, dtype=np.int64)),
            }
        )
        self.alive = np.asarray(sorted(keep), dtype=np.int64)

    def decisions(self) -> list[Decision]:
        """One decision per pool sample, in pool order."""
        out = []
        alive = set(self.alive.tolist())
        for pos in range(len(self.labels)):
            if pos in alive:
                out.append(Decision(True, self.notes.get(pos), float(self.weights[pos])))
            else:
                out.append(Decision(False, self.reasons.get(pos, "dropped"), 0.0))
        return out

    def summary(self, weighted: bool) -> dict[str, Any]:
        kept = self._per_label(self.alive)
        pool = self._per_label(np.arange(len(self.labels)))
        out: dict[str, Any] = {
            "pool": pool,
            "kept": kept,
            "dropped": {lab: pool[lab] - kept.get(lab, 0) for lab in pool},
            "steps": self.steps,
            "weighted": weighted,
        }
        if weighted:
            out["mean_weight"] = {
                lab: float(np.mean([self.weights[p] for p in self.alive if self.labels[p] == lab]))
                for lab in kept
                if kept[lab]
            }
        return out

    def _per_label(self, positions: np.ndarray) -> dict[str, int]:
        counts = Counter(self.labels[int(p)] for p in positions)
        return {lab: counts.get(lab, 0) for lab in sorted(set(self.labels))}


def _rank_key(score: float) -> tuple[int, float]:
    if score is None or math.isnan(score):
        return (1, 0.0)
    return (0, -score)
