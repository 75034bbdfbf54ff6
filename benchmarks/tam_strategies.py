"""Task models and noisy-label strategies on real SST-2: accuracy / macro-F1 on the test set.

Trains on the first N sentences of sst2/train_sentences.jsonl, with a fraction of the labels
flipped at random (simulating noisy synthetic labels), and evaluates on sst2/test.jsonl.
Usage: python benchmarks/tam_strategies.py [--n 300] [--noise 0.3] [--test-limit 0] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from synloom.evaluate.metrics import classification_report
from synloom.train import LabeledData, create_task_model

ROOT = Path(__file__).resolve().parents[1]

RUNS = [
    ("tfidf", "tfidf", []),
    ("embed-lr", "embed-lr", []),
    ("finetune", "finetune", []),
    ("finetune+label-smoothing", "finetune", ["label-smoothing"]),
    ("finetune+temporal-ensembling", "finetune", ["temporal-ensembling"]),
    ("finetune+confidence-filter", "finetune", ["temporal-ensembling", "confidence-filter"]),
    ("finetune+rce", "finetune", ["rce"]),
    ("finetune+sce", "finetune", ["sce"]),
    ("finetune+fewgen(ls+te+filter)", "finetune", ["fewgen"]),
    ("finetune+few-shot-first", "finetune", ["few-shot-first"]),
]


def flip_labels(data: LabeledData, rate: float, seed: int) -> LabeledData:
    """Replace a `rate` fraction of labels by a different label, chosen at random."""
    rng = np.random.default_rng(seed)
    names = data.label_names
    labels = list(data.labels)
    for i in np.flatnonzero(rng.random(len(labels)) < rate):
        others = [n for n in names if n != labels[i]]
        labels[i] = others[rng.integers(len(others))]
    return LabeledData(data.texts, tuple(labels), data.texts_b, data.weights)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-limit", type=int, default=0)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()
    shared = Path(os.environ.get("SYNLOOM_SHARED", ROOT.parent / "shared"))
    pool = LabeledData.from_jsonl(shared / "datasets/sst2/train_sentences.jsonl")
    test = LabeledData.from_jsonl(shared / "datasets/sst2/test.jsonl")
    if args.test_limit:
        test = test.subset(range(args.test_limit))
    clean = pool.subset(range(args.n))
    train = flip_labels(clean, args.noise, args.seed)
    wrong = sum(a != b for a, b in zip(train.labels, clean.labels, strict=True))
    rest = range(args.n, len(pool))
    few_shot = pool.subset(
        [i for i in rest if pool.labels[i] == "negative"][:16]
        + [i for i in rest if pool.labels[i] == "positive"][:16]
    )
    print(f"train {len(train)} SST-2 sentences, {wrong} labels flipped; test {len(test)}")
    for title, tam, strategies in RUNS:
        if args.only and title not in args.only:
            continue
        model = create_task_model(tam, strategies=strategies)
        start = time.perf_counter()
        if "few-shot-first" in strategies:
            model.fit(train, seed=args.seed, few_shot=few_shot)
        else:
            model.fit(train, seed=args.seed)
        fit_s = time.perf_counter() - start
        report = classification_report(test.labels, model.predict(test.texts))
        row = {
            "model": title,
            "accuracy": round(report["accuracy"], 4),
            "macro_f1": round(report["macro_f1"], 4),
            "fit_s": round(fit_s, 1),
        }
        print(json.dumps(row), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
