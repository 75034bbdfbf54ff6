"""Token ids of training examples and their right-padded batches, with the per-token
log-probabilities of the targets that every loss here starts from.

Prompt and target are tokenized apart, as generation sees them (the prompt's tokens, then what the
model adds), so training conditions match generation's; the loss covers the target tokens only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.adapt.examples import TrainExample


@dataclass(frozen=True)
class Encoded:
    prompt: list[int]
    target: list[int]


def encode(
    tokenizer: Any, examples: Sequence[TrainExample], max_target_tokens: int
) -> list[Encoded]:
    """Prompt and target ids of each example; an empty prompt becomes the start token (BOS, else
    EOS) so that the first target token is predicted from something."""
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    out = []
    for ex in examples:
        prompt = tokenizer(ex.prompt, add_special_tokens=True)["input_ids"] if ex.prompt else []
        target = tokenizer(ex.target, add_special_tokens=False)["input_ids"][:max_target_tokens]
        out.append(Encoded(prompt or [start], target))
    return out


def collate(rows: Sequence[Encoded], pad_id: int, device: str):
    """input ids, attention mask and target mask (1 where a position's next token is a target
    token) of right-padded rows."""
    import torch

    width = max(len(r.prompt) + len(r.target) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    predicts = torch.zeros((len(rows), width - 1), dtype=torch.bool)
    for i, r in enumerate(rows):
        seq = r.prompt + r.target
        ids[i, : len(seq)] = torch.tensor(seq)
        mask[i, : len(seq)] = 1
        predicts[i, len(r.prompt) - 1 : len(seq) - 1] = True
    return ids.to(device), mask.to(device), predicts.to(device)


def target_logprobs(model: Any, rows: Sequence[Encoded], pad_id: int, device: str):
    """(log-probs of each row's next tokens, the mask of those that are target tokens), both
    rows x (width - 1), from one forward pass of `model` (with whatever adapter is active)."""
    import torch

    ids, mask, predicts = collate(rows, pad_id, device)
    logits = model(input_ids=ids, attention_mask=mask).logits
    logits = logits[:, -ids.shape[1] :]  # prompt tuning puts its virtual tokens first
    lp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    return lp.gather(-1, ids[:, 1:, None])[..., 0], predicts


def mean_loss(model: Any, rows: Sequence[Encoded], pad_id: int, device: str, batch_size: int = 16):
    """Mean negative log-likelihood per target token of `rows` (no gradients)."""
    import torch

    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            lp, predicts = target_logprobs(model, rows[start : start + batch_size], pad_id, device)
            total -= float(lp[predicts].sum())
            count += int(predicts.sum())
    return total / max(count, 1)
