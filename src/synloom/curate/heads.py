"""Shared pieces of the embedding-based curation methods (consistency, cartography, sungen).

They all work on the frozen MiniLM embeddings of `CurationData.embeddings()`, so they run on
a CPU in seconds: the real seed examples embedded the same way, seeds for torch derived from
the curation seed, and a linear softmax head (the CPU stand-in for the task model).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from synloom.errors import SynloomError
from synloom.generate.seeds import derive_seed

if TYPE_CHECKING:
    from collections.abc import Iterator

    import torch

    from synloom.curate.data import CurationData

SEEDS_NEEDED = (
    "needs real seed examples of every label: add seed_examples to the spec "
    "or pass --seed-data FILE.jsonl"
)


def seed_features(data: CurationData, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(m, d) embeddings of the real seed examples and (m,) their label positions.

    Pairs are embedded as "first [SEP] second", the form of `CurationData.model_texts`. Every
    label of the spec must have a seed example; computed once per pool (shared cache).
    """
    seeds = data.seed_data
    if seeds is None:
        raise SynloomError(f"{method} {SEEDS_NEEDED}")
    names = data.label_names
    missing = [name for name in names if name not in set(seeds.labels)]
    if missing:
        raise SynloomError(f"{method} {SEEDS_NEEDED} (none of label {', '.join(missing)})")
    unknown = sorted(set(seeds.labels) - set(names))
    if unknown:
        raise SynloomError(f"{method}: seed examples have labels not in the spec: {unknown}")
    if seeds.is_pair != (data.texts_a is not None):
        kind = "pairs" if seeds.is_pair else "single texts"
        raise SynloomError(f"{method}: the seed examples are {kind} but the task's samples are not")
    cached = data.shared.cache.get("seed_embeddings")
    if cached is None:
        texts = list(seeds.texts)
        if seeds.texts_b is not None:
            texts = [f"{a} [SEP] {b}" for a, b in zip(seeds.texts, seeds.texts_b, strict=True)]
        embed = data.shared.embed
        if embed is None:
            from synloom.embeddings import embed_texts

            embed = embed_texts
        cached = np.asarray(embed(texts), dtype=np.float32)
        data.shared.cache["seed_embeddings"] = cached
    position = {name: i for i, name in enumerate(names)}
    return cached, np.asarray([position[label] for label in seeds.labels], dtype=np.int64)


def torch_seed(data: CurationData, *parts: object) -> torch.Generator:
    """A torch generator seeded from the curation seed and `parts` (the method's name, ...)."""
    import torch

    return torch.Generator().manual_seed(derive_seed(data.seed, *parts))


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside (restored after): the heads' matrices are small,
    so threads only add synchronisation, which on a busy machine costs 10-20x the work, and one
    thread gives the same numbers whatever the machine's thread count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def linear_head(dim: int, n_labels: int, generator: torch.Generator) -> torch.nn.Linear:
    """A softmax head on `dim` features: torch's default init, drawn from `generator`."""
    import torch

    head = torch.nn.Linear(dim, n_labels)
    bound = 1.0 / dim**0.5
    with torch.no_grad():
        head.weight.uniform_(-bound, bound, generator=generator)
        head.bias.uniform_(-bound, bound, generator=generator)
    return head


def stratified_folds(label_index: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """(n,) fold number of each sample: each label's samples shuffled and dealt round-robin
    (the deal goes on from label to label), so every fold holds about 1/n_folds of every label
    and none is empty when n >= n_folds."""
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(label_index), dtype=np.int64)
    dealt = 0
    for label in np.unique(label_index):
        members = np.flatnonzero(label_index == label)
        folds[rng.permutation(members)] = (dealt + np.arange(len(members))) % n_folds
        dealt += len(members)
    return folds
