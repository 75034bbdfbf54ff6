"""Mixture of Soft Prompts (Chen et al., "Mixture of Soft Prompts for Controllable Data
Generation", Findings EMNLP 2023): one soft prompt for the instruction and one per attribute value
(the label is always one attribute), mixed for each example's set of values and put before the
prompt's token embeddings of the frozen model.

peft has no such method; `SoftPromptMixture`, a small torch module, holds the embeddings, and
`MspModel` runs the base model with the mixed prompt of its current condition before its inputs.
The mixtures: `concat` (the chosen value prompts one after the other), `mean` (their position-wise
mean) and `attention` (a learned query vector per position attends over the chosen prompts'
vectors at that position, scaled dot product; it starts at zero, so at step 0 it is the mean).
The mixed prompt is the instruction prompt followed by the mix; a condition of no values (an
unlabeled text) is the instruction prompt alone.

Files: `adapter_model.safetensors` (the tensors) and `adapter_config.json` (the mixture, the
prompts' length and each value's key), beside the adapter's `synloom_adapter.json`.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from synloom.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

MIXTURES = ("concat", "mean", "attention")
MSP_WEIGHTS = "adapter_model.safetensors"
MSP_CONFIG = "adapter_config.json"
# a request's condition: its label (None: an unlabeled text) and its (dimension, value) pairs
Condition = tuple[str | None, tuple[tuple[str, str], ...]]
# a value's key: (None, label) for a label, (dimension, value) for an attribute value
Key = tuple[str | None, str]


class SoftPromptMixture(nn.Module):
    """The instruction prompt, one prompt per value (`n_tokens` vectors each) and, for the
    attention mixture, its query."""

    def __init__(self, n_values: int, n_tokens: int, dim: int, mixture: str) -> None:
        super().__init__()
        if mixture not in MIXTURES:
            raise ValueError(f"mixture {mixture!r} is none of {', '.join(MIXTURES)}")
        self.mixture = mixture
        self.instruction = nn.Parameter(torch.zeros(n_tokens, dim))
        self.values = nn.Parameter(torch.zeros(n_values, n_tokens, dim))
        self.query = nn.Parameter(torch.zeros(n_tokens, dim)) if mixture == "attention" else None

    def mix(self, chosen: Sequence[int]) -> torch.Tensor:
        """The prompt (tokens x dim) of the values `chosen` (indexes, in a fixed order)."""
        if not chosen:
            return self.instruction
        parts = self.values[list(chosen)]  # k x tokens x dim
        if self.mixture == "concat":
            mixed = parts.reshape(-1, parts.shape[-1])
        elif self.mixture == "mean":
            mixed = parts.mean(0)
        else:
            scores = (parts * self.query).sum(-1) / math.sqrt(parts.shape[-1])  # k x tokens
            mixed = (torch.softmax(scores, dim=0)[..., None] * parts).sum(0)
        return torch.cat([self.instruction, mixed])


class MspModel(nn.Module):
    """The frozen `base` model with the mixed soft prompt of `condition` before its inputs (no
    prompt while `condition` is None): a forward of input ids returns logits whose first
    positions are the soft prompt's, as peft's prompt tuning does."""

    def __init__(self, base: Any, prompts: SoftPromptMixture, keys: Sequence[Key]) -> None:
        super().__init__()
        self.base, self.prompts = base, prompts
        self.keys = [tuple(k) for k in keys]
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.dims = {k[0] for k in self.keys if k[0] is not None}
        self.condition: Condition | None = None

    def chosen(self, condition: Condition) -> list[int]:
        """The value indexes of `condition`: its label's, then its attribute values' in the
        adapter's order. A dimension the adapter was not trained on is ignored (AttrPrompt's own
        dimensions are in the prompt's text); an unknown label or value is a BackendError."""
        label, attributes = condition
        out = []
        if label is not None:
            if (None, label) not in self.index:
                raise BackendError(f"the MSP adapter has no prompt for label {label!r}")
            out.append(self.index[(None, label)])
        for dim, value in attributes:
            if dim not in self.dims:
                continue
            if (dim, value) not in self.index:
                raise BackendError(f"the MSP adapter has no prompt for {dim}: {value!r}")
            out.append(self.index[(dim, value)])
        return sorted(out)

    def soft_prompt(self, condition: Condition) -> torch.Tensor:
        return self.prompts.mix(self.chosen(condition))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if self.condition is None:
            return self.base(input_ids=input_ids, attention_mask=attention_mask)
        embeds = self.base.get_input_embeddings()(input_ids)
        soft = self.soft_prompt(self.condition).to(embeds.dtype)
        rows = input_ids.shape[0]
        embeds = torch.cat([soft.expand(rows, -1, -1), embeds], dim=1)
        ones = attention_mask.new_ones((rows, soft.shape[0]))
        return self.base(inputs_embeds=embeds, attention_mask=torch.cat([ones, attention_mask], 1))

    @contextmanager
    def conditioned(self, condition: Condition | None) -> Iterator[None]:
        old, self.condition = self.condition, condition
        try:
            yield
        finally:
            self.condition = old

    @contextmanager
    def disable_adapter(self) -> Iterator[None]:
        """The base model alone (peft's name for it)."""
        with self.conditioned(None):
            yield

    def groups(
        self,
        labels: Sequence[str | None],
        n: int,
        attributes: Sequence[Sequence[tuple[str, str]]] = (),
    ) -> list[tuple[str | None, list[int]]]:
        """The prompts of a batch by condition, in first-seen order, each part named by its
        encoded condition (`decode_part`); a prompt of no label (a context stage) runs on the
        base model (part None)."""
        if len(labels) != n:
            raise BackendError("an MSP adapter needs each prompt's label (params.labels)")
        out: dict[str | None, list[int]] = {}
        for i, label in enumerate(labels):
            part = None
            if label is not None:
                given = tuple(sorted(attributes[i])) if len(attributes) == n else ()
                condition = (label, tuple((d, v) for d, v in given if d in self.dims))
                self.chosen(condition)  # unknown values fail here, before any generation
                part = encode_part(condition)
            out.setdefault(part, []).append(i)
        return list(out.items())


def encode_part(condition: Condition) -> str:
    return json.dumps([condition[0], [list(p) for p in condition[1]]])


def decode_part(part: str) -> Condition:
    label, pairs = json.loads(part)
    return label, tuple((d, v) for d, v in pairs)


def save_msp(model: MspModel, out: Path, n_tokens: int) -> None:
    from safetensors.torch import save_file

    prompts = model.prompts
    tensors = {n: p.detach().cpu().contiguous() for n, p in prompts.named_parameters()}
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / MSP_WEIGHTS))
    config = {
        "method": "msp",
        "mixture": prompts.mixture,
        "virtual_tokens": n_tokens,
        "hidden_size": int(prompts.instruction.shape[1]),
        "values": [list(k) for k in model.keys],
    }
    (out / MSP_CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", "utf-8")


def load_msp(path: Path, base: Any) -> MspModel:
    """The MSP adapter in directory `path` on the frozen `base` model, in eval mode."""
    from safetensors.torch import load_file

    config = json.loads((path / MSP_CONFIG).read_text("utf-8"))
    keys = [tuple(k) for k in config["values"]]
    prompts = SoftPromptMixture(
        len(keys), config["virtual_tokens"], config["hidden_size"], config["mixture"]
    )
    prompts.load_state_dict(load_file(str(path / MSP_WEIGHTS)))
    device = base.get_input_embeddings().weight.device
    model = MspModel(base, prompts.to(device), keys)
    model.eval()
    return model
