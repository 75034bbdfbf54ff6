"""Random: the control every curation is compared with (no paper; a method must beat it).

A `rank` method whose score is a uniform random number in [0, 1) per sample, so the size
target (`--keep`, `--per-label`) keeps a uniformly random subset of each label. The number is
drawn from BLAKE2b of (curation seed, sample id), not from a generator walked in pool order: a
sample's score depends only on the seed and its own id, never on which other samples are
present, so the control draws the same numbers after any earlier filter and on any subset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from synloom.curate.base import Method, MethodInfo, MethodOptions, MethodScores
from synloom.generate.seeds import derive_seed

if TYPE_CHECKING:
    from synloom.curate.data import CurationData


class RandomOptions(MethodOptions):
    """No options: the curation seed (`data.seed`) is the only input."""


def uniform(seed: int, sample_id: str) -> float:
    """A uniform number in [0, 1) from the 63-bit hash of (seed, id), on the 53 bits a
    float64 holds exactly."""
    return (derive_seed(seed, "random", sample_id) >> 10) / 2.0**53


INFO = MethodInfo(
    name="random",
    kind="rank",
    measures="a seeded uniform random number (the control: keeps a random subset)",
    citation="control (no paper)",
    per_sample=True,
)


class RandomControl(Method):
    info = INFO
    options = RandomOptions

    def score(self, data: CurationData, options: RandomOptions) -> MethodScores:
        scores = np.asarray([uniform(data.seed, sid) for sid in data.ids], dtype=np.float64)
        return MethodScores(scores, summary={"seed": data.seed})


METHOD = RandomControl()
