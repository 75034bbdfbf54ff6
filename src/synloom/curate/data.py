"""`CurationData`: the samples a curation method scores, and the shared things it may need.

Built once per curation from a run (`from_run`); a method sees a `subset` (the samples the
methods before it kept). Costly shared inputs are computed once for the whole pool and shared
by every subset: the sentence embeddings, and the generator's backend (opened on first use,
closed by the runner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.backends.base import Backend
    from synloom.spec import TaskSpec
    from synloom.store import Run
    from synloom.train.data import LabeledData


@dataclass
class _Shared:
    """What all subsets of one pool share (computed lazily, once)."""

    pool_texts: tuple[str, ...]
    embed: Callable[[Sequence[str]], np.ndarray] | None = None
    generator: Callable[[], Backend] | None = None
    judge: Callable[[], Backend] | None = None
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CurationData:
    """Samples in pool order: ids, labels, the generated texts and (pairs) their given first
    texts, the context and the attribute values (`meta["attributes"]`, None when the request drew
    none) each was generated for; the task spec; a seed; real seed examples."""

    spec: TaskSpec
    ids: tuple[str, ...]
    labels: tuple[str, ...]
    texts: tuple[str, ...]  # the generated text (the second sentence of a pair)
    texts_a: tuple[str, ...] | None  # the given first sentence of a pair, else None
    contexts: tuple[str | None, ...]
    attributes: tuple[dict[str, Any] | None, ...]
    seed: int
    seed_data: LabeledData | None
    index: np.ndarray  # position of each sample in the pool
    shared: _Shared = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def label_names(self) -> list[str]:
        return self.spec.label_names

    @property
    def label_index(self) -> np.ndarray:
        """(n,) position of each sample's label in `label_names`."""
        names = {name: i for i, name in enumerate(self.label_names)}
        return np.asarray([names[label] for label in self.labels], dtype=np.int64)

    @property
    def model_texts(self) -> list[str]:
        """One text per sample for a classifier: the text, or "first [SEP] second" for pairs."""
        if self.texts_a is None:
            return list(self.texts)
        return [f"{a} [SEP] {b}" for a, b in zip(self.texts_a, self.texts, strict=True)]

    def embeddings(self) -> np.ndarray:
        """(n, d) L2-normalised MiniLM embeddings of `model_texts` (the pool's, computed once)."""
        pool = self.shared.cache.get("embeddings")
        if pool is None:
            embed = self.shared.embed
            if embed is None:
                from synloom.embeddings import embed_texts

                embed = embed_texts
            pool = np.asarray(embed(list(self.shared.pool_texts)), dtype=np.float32)
            self.shared.cache["embeddings"] = pool
        return pool[self.index]

    def generator(self) -> Backend:
        """The run's generator (opened on first use; the runner closes it)."""
        if self.shared.generator is None:
            raise SynloomError("this curation has no generator backend")
        return self.shared.generator()

    def judge(self) -> Backend:
        """The judge model: the one given with `judge.*` options, else the generator."""
        if self.shared.judge is not None:
            return self.shared.judge()
        return self.generator()

    def subset(self, positions: Sequence[int] | np.ndarray) -> CurationData:
        """The samples at `positions` (indices into this data), in that order."""
        pos = [int(p) for p in positions]
        return CurationData(
            spec=self.spec,
            ids=tuple(self.ids[p] for p in pos),
            labels=tuple(self.labels[p] for p in pos),
            texts=tuple(self.texts[p] for p in pos),
            texts_a=None if self.texts_a is None else tuple(self.texts_a[p] for p in pos),
            contexts=tuple(self.contexts[p] for p in pos),
            attributes=tuple(self.attributes[p] for p in pos),
            seed=self.seed,
            seed_data=self.seed_data,
            index=self.index[pos] if pos else np.zeros(0, dtype=np.int64),
            shared=self.shared,
        )

    def as_labeled(self, weights: Sequence[float] | None = None) -> LabeledData:
        """These samples as task-model training data."""
        from synloom.train.data import LabeledData

        if self.texts_a is None:
            return LabeledData(self.texts, self.labels, None, _tuple(weights))
        return LabeledData(self.texts_a, self.labels, self.texts, _tuple(weights))

    @classmethod
    def build(
        cls,
        spec: TaskSpec,
        ids: Sequence[str],
        labels: Sequence[str],
        texts: Sequence[str],
        *,
        texts_a: Sequence[str] | None = None,
        contexts: Sequence[str | None] | None = None,
        attributes: Sequence[dict[str, Any] | None] | None = None,
        seed: int = 0,
        seed_data: LabeledData | None = None,
        generator: Callable[[], Backend] | None = None,
        judge: Callable[[], Backend] | None = None,
        embed: Callable[[Sequence[str]], np.ndarray] | None = None,
    ) -> CurationData:
        """A pool from plain sequences (what tests and `from_run` use)."""
        n = len(ids)
        if not (len(labels) == len(texts) == n) or any(
            extra is not None and len(extra) != n for extra in (texts_a, contexts, attributes)
        ):
            raise SynloomError("ids, labels, texts (and contexts, attributes) must have one length")
        unknown = sorted(set(labels) - set(spec.label_names))
        if unknown:
            raise SynloomError(f"labels not in the spec: {', '.join(unknown)}")
        data = cls(
            spec=spec,
            ids=tuple(ids),
            labels=tuple(labels),
            texts=tuple(texts),
            texts_a=None if texts_a is None else tuple(texts_a),
            contexts=tuple(contexts) if contexts is not None else (None,) * n,
            attributes=tuple(attributes) if attributes is not None else (None,) * n,
            seed=seed,
            seed_data=seed_data,
            index=np.arange(n, dtype=np.int64),
            shared=_Shared(pool_texts=(), generator=generator, judge=judge, embed=embed),
        )
        data.shared.pool_texts = tuple(data.model_texts)
        return data

    @classmethod
    def from_run(cls, run: Run, **kwargs: Any) -> CurationData:
        """The accepted samples of a run (pairs: the given first text and the generated one)."""
        samples = run.samples
        pair = run.is_pair
        return cls.build(
            run.spec,
            [s.id for s in samples],
            [s.label for s in samples],
            [(s.text_b or "") if pair else s.text for s in samples],
            texts_a=[s.text for s in samples] if pair else None,
            contexts=[s.context for s in samples],
            attributes=[s.meta.get("attributes") or None for s in samples],
            **kwargs,
        )


def _tuple(weights: Sequence[float] | None) -> tuple[float, ...] | None:
    return None if weights is None else tuple(float(w) for w in weights)
