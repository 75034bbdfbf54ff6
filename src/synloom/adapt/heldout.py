"""How well a generator, with or without an adapter, predicts real examples it was not trained on:
the mean loss per target token of each text under its label's prompt (the quantity adapting
lowers, measured where it generalises)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.adapt.batches import Encoded, encode, mean_loss
from synloom.adapt.examples import TrainExample, label_prompt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.spec import TaskSpec


def heldout_loss(
    spec: TaskSpec, examples: Sequence[tuple[str, str]], adapter: str | None = None
) -> float:
    """Mean negative log-likelihood per token of each (text, label) after its label's prompt,
    ended like the training targets, by the spec's local model with `adapter` (None: without)."""
    from synloom.backends.local import LocalBackend

    backend = LocalBackend.from_config(spec.backend.model_copy(update={"adapter": adapter}))
    try:
        tok = backend.tokenizer
        end = spec.generation.stop[0] if spec.generation.stop else tok.eos_token
        items = [TrainExample(label_prompt(spec, y), text + end, y) for text, y in examples]
        rows = encode(tok, items, max_target_tokens=10**6)
        groups: dict[str | None, list[Encoded]] = {}
        if backend.adapter is None:
            groups[None] = rows
        else:
            for part, idx in backend.adapter.groups([e.label for e in items], len(items)):
                groups[part] = [rows[i] for i in idx]
        total = count = 0.0
        for part, mine in groups.items():
            n = sum(len(r.target) for r in mine)
            if backend.adapter is None:
                loss = mean_loss(backend.generator, mine, tok.pad_token_id, backend.device)
            else:
                with backend.adapter.active(part):
                    loss = mean_loss(
                        backend.adapter.adapted, mine, tok.pad_token_id, backend.device
                    )
            total += loss * n
            count += n
        return total / max(count, 1)
    finally:
        backend.close()
