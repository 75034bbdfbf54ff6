"""Long real movie reviews for memory tests and benchmarks (tests and benchmarks only).

Each review is consecutive real Rotten Tomatoes sentences (Pang & Lee, 2005) of one label,
joined until it reaches a target length. Target lengths follow a log-normal with a mean of about
230 words (the shape of full-length reviews), and the first `n_long` are over 1,000 words, so a
small set still holds the long tail that made batches explode.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

SOURCE = "rotten_tomatoes/train.jsonl"
LONG_WORDS = (1100, 1300, 1500)


def long_reviews(
    datasets_dir: str | Path,
    n: int,
    *,
    n_long: int = 3,
    mean_words: float = 230.0,
    seed: int = 0,
) -> list[dict[str, str]]:
    """`n` rows {text, label}, labels alternating; deterministic for a given seed."""
    pools: dict[str, list[str]] = {}
    with open(Path(datasets_dir) / SOURCE, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                pools.setdefault(row["label"], []).append(row["text"])
    labels = sorted(pools)
    sigma = 0.9
    rng = np.random.default_rng(seed)
    targets = rng.lognormal(math.log(mean_words) - sigma**2 / 2, sigma, size=n).clip(20, 900)
    for i in range(min(n_long, n)):
        targets[i] = LONG_WORDS[i % len(LONG_WORDS)]
    cursors = dict.fromkeys(labels, 0)
    rows = []
    for i, target in enumerate(targets):
        label = labels[i % len(labels)]
        pool, words, parts = pools[label], 0, []
        while words < target:
            sentence = pool[cursors[label] % len(pool)]
            cursors[label] += 1
            parts.append(sentence)
            words += len(sentence.split())
        rows.append({"text": " ".join(parts), "label": label})
    return rows
