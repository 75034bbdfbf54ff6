"""The torch training loop behind `FineTuneClassifier`: one stage over one dataset.

Steps are counted up front (epochs x batches over the full set) as in FewGen's trainer; with
temporal ensembling or the confidence filter, the whole training set is re-predicted every
interval (default: one epoch), the ensemble is updated, and the next interval draws its batches
from the samples the filter kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from synloom.progress import step as progress_step
from synloom.train.finetune_config import FineTuneConfig, steps_per_epoch
from synloom.train.losses import consistency_loss, supervised_loss
from synloom.train.temporal import TemporalEnsemble, confidence_filter, ramp_weight

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.train.data import LabeledData

NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight")


class TrainableClassifier(Protocol):
    """What the loop needs of a model (`FineTuneClassifier`), so the loop never imports it."""

    module_: Any  # the torch module, trained in place
    labels_: list[str]
    kept_indices_: np.ndarray  # written: the samples the confidence filter kept

    def encode(self, texts: list[str], texts_b: list[str] | None) -> dict[str, Any]: ...

    def predict_proba(
        self, texts: Sequence[str], texts_b: Sequence[str] | None = None
    ) -> np.ndarray: ...


def train_classifier(
    model: TrainableClassifier,
    data: LabeledData,
    cfg: FineTuneConfig,
    *,
    seed: int,
    stage: str,
    lr_scale: float = 1.0,
    pretrained_head: bool = False,
) -> list[dict[str, float | str]]:
    """Train `model.module_` in place; return one log row per interval."""
    import torch

    module = model.module_
    rng = np.random.default_rng(seed)
    n = len(data)
    targets = np.array([model.labels_.index(label) for label in data.labels])
    weights = np.ones(n) if data.weights is None else np.asarray(data.weights, dtype=np.float64)
    weights = weights / weights.mean()
    per_epoch = steps_per_epoch(n, cfg.batch_size)
    total = cfg.epochs * per_epoch
    interval = cfg.ensemble_interval or per_epoch
    use_ensemble = cfg.temporal_ensembling or cfg.confidence_threshold is not None
    ensemble = TemporalEnsemble(n, len(model.labels_), cfg.ensemble_momentum)
    optimizer, scheduler = _optimizer(module, cfg, total, lr_scale)

    active = np.arange(n)
    queue: list[int] = []
    history: list[dict[str, float | str]] = []
    losses: list[float] = []
    with progress_step(f"fine-tuning ({stage})", total, "steps") as progress:
        for step in range(total):
            if use_ensemble and step % interval == 0 and (step > 0 or pretrained_head):
                active = _update_ensemble(model, data, ensemble, targets, cfg)
                model.kept_indices_ = active
                queue = []
                history.append(_log(stage, step, losses, len(active)))
                losses = []
            if len(queue) < cfg.batch_size:
                queue += rng.permutation(active).tolist()
            batch_idx, queue = queue[: cfg.batch_size], queue[cfg.batch_size :]
            module.train()
            batch = model.encode(
                [data.texts[i] for i in batch_idx],
                None if data.texts_b is None else [data.texts_b[i] for i in batch_idx],
            )
            logits = module(**batch)
            y = torch.as_tensor(targets[batch_idx], device=logits.device)
            w = torch.as_tensor(weights[batch_idx], dtype=logits.dtype, device=logits.device)
            per_sample = supervised_loss(
                cfg.loss,
                logits,
                y,
                label_smoothing=cfg.label_smoothing,
                sce_alpha=cfg.sce_alpha,
                sce_beta=cfg.sce_beta,
            )
            loss = (per_sample * w).mean()
            if cfg.temporal_ensembling and ensemble.count > 0:
                ens = torch.as_tensor(
                    ensemble.probs[batch_idx], dtype=logits.dtype, device=logits.device
                )
                reg = consistency_loss(logits, ens).mean()
                loss = loss + cfg.consistency_weight * ramp_weight(step / total) * reg
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            progress.advance()
    history.append(_log(stage, total, losses, len(active)))
    return history


def _update_ensemble(
    model: TrainableClassifier,
    data: LabeledData,
    ensemble: TemporalEnsemble,
    targets: np.ndarray,
    cfg: FineTuneConfig,
) -> np.ndarray:
    """Re-predict the training set, update the ensemble, return the indices to train on."""
    probs = ensemble.update(model.predict_proba(data.texts, data.texts_b))
    if cfg.confidence_threshold is None:
        return np.arange(len(data))
    return confidence_filter(probs, targets, cfg.confidence_threshold, cfg.min_per_class)


def _optimizer(module, cfg: FineTuneConfig, total: int, lr_scale: float):
    """AdamW (no decay on biases/LayerNorm; a larger lr for the new head) + linear warmup/decay."""
    import torch

    groups: dict[tuple[float, float], list] = {}
    for name, param in module.named_parameters():
        lr = cfg.head_learning_rate if name.startswith("head.") else cfg.learning_rate
        decay = 0.0 if any(key in name for key in NO_DECAY) else cfg.weight_decay
        groups.setdefault((lr * lr_scale, decay), []).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": p, "lr": lr, "weight_decay": wd} for (lr, wd), p in groups.items()]
    )
    warmup = int(cfg.warmup_ratio * total)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _log(stage: str, step: int, losses: list[float], kept: int) -> dict[str, float | str]:
    mean = float(np.mean(losses)) if losses else float("nan")
    return {"stage": stage, "step": step, "mean_loss": mean, "kept": kept}
