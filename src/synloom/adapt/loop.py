"""The training loop of an adapter: AdamW with linear warm-up and decay over the trainable
parameters, a fixed data order per epoch, and a checkpoint every few steps that a rerun after
kill -9 resumes from.

transformers' `Trainer` does most of this, but its checkpoints hold one peft adapter (the active
one), and FewGen trains one per label in the same model; this loop saves every trainable tensor,
the optimizer, the scheduler and the RNG state, so a resumed run takes the same steps with the
same data and dropout as an uninterrupted one (tests/adapt/test_resume.py compares the weights).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.progress import step

if TYPE_CHECKING:
    from collections.abc import Callable

STATE_FILE = "state.pt"


@dataclass
class LoopState:
    step: int = 0
    seconds: float = 0.0
    resumed_from: int = 0  # the step the checkpoint held (0: a fresh start)
    curve: list[dict[str, float]] = field(default_factory=list)


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The examples' order in `epoch`: a permutation seeded by (seed, epoch)."""
    import numpy as np

    return np.random.default_rng([seed, epoch]).permutation(n).tolist()


def run_loop(
    params: dict[str, Any],
    n_examples: int,
    batch_loss: Callable[[list[int]], Any],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    warmup_fraction: float,
    seed: int,
    checkpoint_dir: Path,
    key: str,
    save_every: int | None,
    description: str,
    on_resume: Callable[[int], None] | None = None,
) -> LoopState:
    """Train `params` (name -> tensor) on `batch_loss(example indices)` and return the loss
    curve; resumes from `checkpoint_dir` when it holds a checkpoint of the same `key`."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    per_epoch = math.ceil(n_examples / batch_size)
    total = epochs * per_epoch
    every = save_every or max(1, total // 20)
    optimizer = torch.optim.AdamW(list(params.values()), lr=lr, weight_decay=0.0)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup_fraction * total), total)
    state = LoopState()
    torch.manual_seed(seed)
    path = checkpoint_dir / STATE_FILE
    if path.is_file():
        state = _restore(path, key, params, optimizer, scheduler)
        if on_resume is not None:
            on_resume(state.step)
    started = time.perf_counter() - state.seconds
    with step(description, total=total, unit="steps") as bar:
        bar.advance(state.step)
        while state.step < total:
            epoch, k = divmod(state.step, per_epoch)
            order = epoch_order(n_examples, seed, epoch)
            idx = order[k * batch_size : (k + 1) * batch_size]
            loss = batch_loss(idx)
            value = float(loss.detach())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            state.step += 1
            state.seconds = time.perf_counter() - started
            state.curve.append(
                {
                    "step": state.step,
                    "epoch": epoch + 1,
                    "loss": value,
                    "lr": scheduler.get_last_lr()[0],
                }
            )
            bar.advance(1)
            bar.note(f"loss {value:.3f}")
            if state.step % every == 0 or state.step == total:
                _save(path, key, state, params, optimizer, scheduler)
    return state


def _save(path: Path, key: str, state: LoopState, params, optimizer, scheduler) -> None:
    """Write the checkpoint beside the old one, then rename over it: a kill leaves one whole."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "key": key,
            "step": state.step,
            "seconds": state.seconds,
            "curve": state.curve,
            "params": {name: p.detach().cpu() for name, p in params.items()},
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": torch.get_rng_state(),
        },
        tmp,
    )
    os.replace(tmp, path)


def _restore(path: Path, key: str, params, optimizer, scheduler) -> LoopState:
    import torch

    try:
        saved = torch.load(path, weights_only=False)
    except (OSError, RuntimeError, EOFError) as exc:
        raise SynloomError(
            f"cannot read the checkpoint {path} ({exc}); remove it to start over"
        ) from None
    if saved.get("key") != key:
        raise SynloomError(
            f"{path.parent.parent} holds an unfinished training of other settings, seeds or base "
            "model; use a new --out directory (or remove that one)"
        )
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(saved["params"][name].to(p.device))
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"])
    step = saved["step"]
    return LoopState(
        step=step, seconds=saved["seconds"], resumed_from=step, curve=list(saved["curve"])
    )
