"""`FineTuneConfig`: the fine-tuned task model's hyper-parameters, shared by the model and its loop.

Kept apart from `finetune` (the model) and `loop` (the training loop) so that neither imports the
other: the model calls the loop, and the loop reads only this config and a `TrainableClassifier`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from synloom.embeddings import DEFAULT_EMBEDDER
from synloom.errors import SynloomError
from synloom.train.losses import LOSSES


@dataclass(frozen=True)
class FineTuneConfig:
    """Hyper-parameters; defaults sized for 2 CPU cores and a few hundred samples."""

    encoder: str = DEFAULT_EMBEDDER
    max_length: int = 64
    batch_size: int = 32
    epochs: int = 3
    learning_rate: float = 1e-4
    head_learning_rate: float = 5e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    dropout: float = 0.1
    loss: str = "ce"  # "ce", "rce" or "sce"
    label_smoothing: float = 0.0
    sce_alpha: float = 0.1
    sce_beta: float = 1.0
    temporal_ensembling: bool = False
    ensemble_momentum: float = 0.9
    consistency_weight: float = 20.0
    ensemble_interval: int | None = None  # steps between ensemble updates; None: one epoch
    confidence_threshold: float | None = None
    min_per_class: int = 16
    few_shot_epochs: int = 10
    after_few_shot_lr_scale: float = 0.5
    device: str = "auto"  # see synloom.devices.resolve_device

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise SynloomError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise SynloomError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0.0 <= self.ensemble_momentum < 1.0:
            raise SynloomError(f"ensemble_momentum must be in [0, 1), got {self.ensemble_momentum}")
        if self.confidence_threshold is not None and not 0.0 <= self.confidence_threshold < 1.0:
            raise SynloomError("confidence_threshold must be in [0, 1)")
        if self.epochs < 1 or self.batch_size < 1 or self.max_length < 8:
            raise SynloomError("epochs and batch_size must be >= 1 and max_length >= 8")


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Optimizer steps in one pass over `n` samples."""
    return max(1, math.ceil(n / batch_size))
