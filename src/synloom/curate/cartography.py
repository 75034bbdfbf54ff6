"""Dataset cartography: drop the hard-to-learn samples, the likely mislabeled ones.

Swayamdipta et al., "Dataset Cartography: Mapping and Diagnosing Datasets with Training
Dynamics", EMNLP 2020. A task model is trained on all the samples for a few epochs; after each
epoch it records every sample's probability of its own (gold) label. **Confidence** is the mean
of those probabilities over the epochs, **variability** their standard deviation, and
**correctness** the share of epochs in which the gold label was the model's argmax. Samples of
low confidence and low variability ("hard to learn") are mostly mislabeled; the paper finds
them by training dynamics alone, without any clean data.

Here the task model is a linear softmax head on frozen MiniLM embeddings (torch, CPU, seconds
for thousands of samples), not the fine-tuned transformer of the paper; its probabilities are
read after each epoch, for all samples at once. The cross-entropy is class-balanced (each label
weighs as much as the others in total; the plain mean on a pool with as many samples of each
label): on a pool of 1 negative to 3 positive SST-2 sentences the plain loss left every
negative sample below chance and the filter dropped the whole minority label. Defaults: 6 epochs of Adam (lr 1e-2, batch 32)
from torch's default initialisation. A linear head on 384 features learns the bulk of a pool in
the first epochs and cannot memorise a pool much larger than 384 samples, so mislabeled
samples stay at low confidence; with fewer updates (lr 1e-3) a small pool barely leaves
chance in 6 epochs.

The score is the confidence over chance, confidence - 1/K for K labels (the raw confidence is
in the details), and the filter drops scores below 0. A fresh head gives every label about
1/K, so a mean gold probability below 1/K says that training on the whole pool pushed the
sample's own label *down*: the rest of the data contradicts it. For two labels this is
confidence < 0.5 (the head prefers the other label on average); it needs no tuning to a task's
number of labels, and the threshold stays a constant (a method's threshold cannot depend on
the data). `max_variability` adds the paper's second condition: only samples whose
variability is at most it are dropped (the others, "ambiguous", get a score of at least the
threshold).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from synloom.curate.base import Method, MethodInfo, MethodOptions, MethodScores
from synloom.curate.heads import linear_head, one_thread, torch_seed

if TYPE_CHECKING:
    from synloom.curate.data import CurationData


class CartographyOptions(MethodOptions):
    """The head's training (Adam) and the hard-to-learn region: confidence - 1/K below
    `threshold` and, when `max_variability` is set, variability at most that."""

    epochs: int = Field(default=6, ge=2)
    lr: float = Field(default=1e-2, gt=0)
    batch_size: int = Field(default=32, ge=1)
    weight_decay: float = Field(default=0.0, ge=0)
    threshold: float = Field(default=0.0, ge=-1, le=1)
    max_variability: float | None = Field(default=None, ge=0)


def training_dynamics(
    x: np.ndarray, y: np.ndarray, n_labels: int, options: CartographyOptions, generator
) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, n) probability of each sample's label after each epoch of training a linear
    head on (x, y) with Adam and shuffled mini-batches drawn from `generator`, and (epochs, n)
    whether that label was the head's argmax."""
    import torch

    features = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    targets = torch.from_numpy(y)
    counts = np.bincount(y, minlength=n_labels)
    balance = torch.from_numpy(
        (len(y) / (np.count_nonzero(counts) * np.maximum(counts, 1))).astype(np.float32)
    )
    head = linear_head(features.shape[1], n_labels, generator)
    optimiser = torch.optim.Adam(
        head.parameters(), lr=options.lr, weight_decay=options.weight_decay
    )
    rows = torch.arange(len(y))
    gold = np.zeros((options.epochs, len(y)))
    correct = np.zeros((options.epochs, len(y)), dtype=bool)
    for epoch in range(options.epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), options.batch_size):
            batch = order[start : start + options.batch_size]
            loss = torch.nn.functional.cross_entropy(
                head(features[batch]), targets[batch], weight=balance
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            probs = torch.softmax(head(features), dim=-1)
        gold[epoch] = probs[rows, targets].numpy()
        correct[epoch] = (probs.argmax(dim=-1) == targets).numpy()
    return gold, correct


INFO = MethodInfo(
    name="cartography",
    kind="filter",
    measures="confidence over chance: mean p(own label) over training epochs, minus 1/K",
    citation="Swayamdipta et al., Dataset Cartography, EMNLP 2020",
    needs=("embeddings",),
)


class Cartography(Method):
    info = INFO
    options = CartographyOptions

    def score(self, data: CurationData, options: CartographyOptions) -> MethodScores:
        chance = 1.0 / len(data.label_names)
        summary = {"chance": chance, "head": "linear softmax on frozen MiniLM"}
        if len(data) == 0:
            return MethodScores(np.zeros(0), summary=summary)
        y = data.label_index
        x = data.embeddings()
        with one_thread():
            generator = torch_seed(data, INFO.name)
            gold, correct = training_dynamics(x, y, len(data.label_names), options, generator)
        confidence = gold.mean(axis=0)
        variability = gold.std(axis=0)
        scores = confidence - chance
        if options.max_variability is not None:
            ambiguous = variability > options.max_variability
            scores[ambiguous] = np.maximum(scores[ambiguous], options.threshold)
        details = {
            "confidence": confidence,
            "variability": variability,
            "correctness": correct.mean(axis=0),
        }
        summary["mean_confidence_by_epoch"] = [round(float(v), 6) for v in gold.mean(axis=1)]
        return MethodScores(scores, details=details, summary=summary)


METHOD = Cartography()
