"""Training a Mixture of Soft Prompts (Chen et al., "Mixture of Soft Prompts for Controllable Data
Generation", Findings EMNLP 2023) on a spec's seed examples.

The values are the labels (each described by its description, else its verbalizer) and every
value of the spec's `attributes` (described as "dimension: value"); each value's prompt starts as
the token embeddings of its description, and the instruction prompt as those of the task's
description (Lester et al.'s start for prompt tuning), each repeated to the prompts' length. An
example trains the instruction prompt mixed with its label's prompt and its seed's attribute
values' (a seed without attribute values: instruction and label only; an unlabeled text: the
instruction alone). The module itself is `synloom.backends.msp_prompts`; peft has no MSP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synloom.adapt.batches import target_logprobs

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.adapt.batches import Encoded
    from synloom.adapt.settings import AdaptSettings
    from synloom.backends.msp_prompts import Condition, MspModel
    from synloom.spec import TaskSpec


def value_texts(spec: TaskSpec) -> list[tuple[tuple[str | None, str], str]]:
    """Each value's key and description: the labels', then each dimension's values in the spec's
    order."""
    out: list[tuple[tuple[str | None, str], str]] = []
    for label in spec.labels:
        out.append(((None, label.name), label.description or label.verbalizer))
    for dim, values in spec.attributes.items():
        out.extend(((dim, value), f"{dim}: {value}") for value in values)
    return out


def example_conditions(spec: TaskSpec, n_unlabeled: int) -> list[Condition]:
    """The condition of each training example, in `training_examples`' order (seeds, then
    unlabeled texts)."""
    dims = list(spec.attributes)
    out: list[Condition] = []
    for seed in spec.seed_examples:
        given = seed.attributes or {}
        out.append((seed.label, tuple((d, given[d]) for d in dims if d in given)))
    return out + [(None, ())] * n_unlabeled


def build(spec: TaskSpec, settings: AdaptSettings, base: Any, tokenizer: Any) -> MspModel:
    """The MSP model around the frozen `base`, every prompt started from its text's token
    embeddings (seeded by the caller)."""
    import torch

    from synloom.backends.msp_prompts import MspModel, SoftPromptMixture

    base.requires_grad_(False)
    weight = base.get_input_embeddings().weight
    n = settings.virtual_tokens
    values = value_texts(spec)
    prompts = SoftPromptMixture(len(values), n, weight.shape[1], settings.msp_mixture)

    def start(text: str):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"] or [tokenizer.eos_token_id]
        ids = (ids * -(-n // len(ids)))[:n]
        return weight[torch.tensor(ids, device=weight.device)].detach().float().cpu()

    with torch.no_grad():
        prompts.instruction.copy_(start(spec.task.description or "Write an example for the task."))
        for i, (_, text) in enumerate(values):
            prompts.values[i].copy_(start(text))
    return MspModel(base, prompts.to(weight.device), [key for key, _ in values])


def _by_condition(idx: Sequence[int], conditions: Sequence[Condition]) -> dict[Condition, list]:
    out: dict[Condition, list[int]] = {}
    for i in idx:
        out.setdefault(conditions[i], []).append(i)
    return out


def msp_loss(
    model: MspModel,
    rows: Sequence[Encoded],
    conditions: Sequence[Condition],
    idx: Sequence[int],
    pad: int,
    device: str,
):
    """Mean negative log-likelihood per target token of examples `idx`, each under its own
    condition's mixed prompt (one forward per condition in the batch)."""
    import torch

    parts = []
    for condition, mine in _by_condition(idx, conditions).items():
        with model.conditioned(condition):
            lp, predicts = target_logprobs(model, [rows[i] for i in mine], pad, device)
        parts.append(lp[predicts])
    return -torch.cat(parts).mean()


def msp_mean_loss(
    model: MspModel, rows: Sequence[Encoded], conditions: Sequence[Condition], pad: int, device: str
) -> float:
    """`msp_loss` of every example, without gradients, 16 at a time."""
    import torch

    total = count = 0.0
    with torch.no_grad():
        for mine in _by_condition(range(len(rows)), conditions).values():
            for start in range(0, len(mine), 16):
                chunk = mine[start : start + 16]
                n = sum(len(rows[i].target) for i in chunk)
                total += float(msp_loss(model, rows, conditions, chunk, pad, device)) * n
                count += n
    return total / max(count, 1)
