"""ProGen's in-context feedback (Ye et al., "ProGen: Progressive Zero-shot Dataset Generation via
In-context Feedback", Findings of EMNLP 2022): from the samples accepted so far, the pool of
in-context examples each label's next requests draw from, and what it was chosen from.

Split: per label, the samples are ordered by a hash of (run seed, sample id) and the first
round(validation_share x n) of them (at least one, and at least one left to train on) form the
synthetic validation split; a label with fewer than two accepted samples has no split. When every
label has one, the head of `influence.py` is trained on the training split (MiniLM embeddings;
[u, v, |u - v|, u * v] for pairs) and each training sample's influence I(z) on the validation
RCE is computed; each label's pool is its `pool_size` training samples of lowest I(z) (the most
helpful first). Otherwise (round 0, or too few samples) a label's pool is its seed examples, or
else its first `pool_size` accepted samples, or empty (zero-shot).

Everything is read from the spec and the store (the split is a hash, the embedder and lbfgs are
deterministic on the CPU), so the same run plans the same pools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synloom.seeds import derive_seed

if TYPE_CHECKING:
    import numpy as np

    from synloom.recipes.base import RoundState
    from synloom.spec import TaskSpec
    from synloom.store import Sample


@dataclass(frozen=True)
class Example:
    """An in-context example: a sample's id (`seed:<i>` for the spec's seed examples)."""

    id: str
    label: str
    text: str
    text_b: str | None = None
    context: str | None = None


def validation_split(
    samples: list[Sample], labels: list[str], share: float, seed: int
) -> tuple[list[Sample], list[Sample]] | None:
    """(train, validation) stratified by label and decided by a hash of each sample's id; None
    when some label has fewer than two samples."""
    train: list[Sample] = []
    val: list[Sample] = []
    for label in labels:
        mine = [s for s in samples if s.label == label]
        if len(mine) < 2:
            return None
        mine.sort(key=lambda s: (derive_seed(seed, "progen-validation", s.id), s.id))
        n_val = min(max(1, round(share * len(mine))), len(mine) - 1)
        val.extend(mine[:n_val])
        train.extend(mine[n_val:])
    order = {s.id: i for i, s in enumerate(samples)}  # back to plan order
    return sorted(train, key=lambda s: order[s.id]), sorted(val, key=lambda s: order[s.id])


def features(samples: list[Sample], pair: bool) -> np.ndarray:
    """MiniLM embeddings of the samples' texts ([u, v, |u - v|, u * v] of the two for pairs)."""
    import numpy as np

    from synloom.embeddings import embed_texts

    if not pair:
        return embed_texts([s.text for s in samples])
    both = embed_texts([s.text for s in samples] + [s.text_b or "" for s in samples])
    u, v = both[: len(samples)], both[len(samples) :]
    return np.hstack([u, v, np.abs(u - v), u * v])


def seed_pools(spec: TaskSpec) -> dict[str, list[Example]]:
    pools: dict[str, list[Example]] = {name: [] for name in spec.label_names}
    for i, ex in enumerate(spec.seed_examples):
        pools[ex.label].append(Example(f"seed:{i}", ex.label, ex.text, ex.text_b))
    return pools


def as_example(s: Sample) -> Example:
    return Example(s.id, s.label, s.text, s.text_b, s.context)


def random_pools(
    train: list[Sample], labels: list[str], pool_size: int, seed: int
) -> dict[str, list[Example]]:
    """The `random_pool` ablation: per label, `pool_size` training samples in the order of a
    hash of (run seed, sample id), so the same run draws the same pool."""
    pools = {}
    for label in labels:
        mine = [s for s in train if s.label == label]
        mine.sort(key=lambda s: (derive_seed(seed, "progen-random-pool", s.id), s.id))
        pools[label] = [as_example(s) for s in mine[:pool_size]]
    return pools


def feedback_pools(
    spec: TaskSpec, state: RoundState
) -> tuple[dict[str, list[Example]], dict[str, Any]]:
    """Each label's in-context pool for round `state.round`, and the annotations to store with
    the plan: `source` ("influence", or "seeds/accepted" and the `reason` when there was no
    feedback), `pool` (label -> example ids, most helpful first) and, after feedback,
    `validation` (ids), `influence` (training sample id -> I(z)), `val_rce`, `val_accuracy`."""
    import numpy as np

    from synloom.recipes.influence import rce_influence

    share, pool_size = spec.recipe.validation_share, spec.recipe.pool_size  # type: ignore[attr-defined]
    labels = [str(label) for label in state.stage.labels]
    samples = state.accepted()
    split = validation_split(samples, labels, share, spec.seed)
    if split is None:
        seeds = seed_pools(spec)
        pools = {
            label: seeds[label] or [as_example(s) for s in samples if s.label == label][:pool_size]
            for label in labels
        }
        reason = "no samples yet" if not samples else "a label has fewer than 2 samples"
        notes: dict[str, Any] = {"source": "seeds/accepted", "reason": reason}
        return pools, notes | {"pool": {label: [e.id for e in pools[label]] for label in labels}}
    train, val = split
    if getattr(spec.recipe, "random_pool", False):
        pools = random_pools(train, labels, pool_size, spec.seed)
        return pools, {
            "source": "random",
            "pool": {label: [e.id for e in pool] for label, pool in pools.items()},
            "validation": [s.id for s in val],
        }
    index = {label: i for i, label in enumerate(labels)}
    X = features(train + val, spec.is_pair)
    y = np.array([index[s.label] for s in train + val])
    n = len(train)
    result = rce_influence(X[:n], y[:n], X[n:], y[n:], len(labels))
    scores = {s.id: float(v) for s, v in zip(train, result.scores, strict=True)}
    pools = {}
    for label in labels:
        mine = sorted((s for s in train if s.label == label), key=lambda s: (scores[s.id], s.id))
        pools[label] = [as_example(s) for s in mine[:pool_size]]
    return pools, {
        "source": "influence",
        "pool": {label: [e.id for e in pools[label]] for label in labels},
        "validation": [s.id for s in val],
        "influence": scores,
        "val_rce": result.val_loss,
        "val_accuracy": result.val_accuracy,
    }
