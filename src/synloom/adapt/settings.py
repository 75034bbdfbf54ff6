"""What `synloom adapt` trains and how: the method and its hyper-parameters, checked like a spec.

The defaults follow the methods' papers for a few dozen examples: prefix tuning with 10 virtual
tokens at lr 5e-3 for 20 epochs (FewGen's settings, Meng et al. 2023), prompt tuning at 3e-2
(Lester et al. 2021 use far larger rates with Adafactor; AdamW needs less), LoRA r=8 on the
attention's query and value projections at 5e-4 (Hu et al. 2022). They are starting points,
not tuned to a task: docs/adapt.md says which to change per task.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synloom.spec.base import Int, Real, SpecModel

Method = Literal["lora", "prefix", "prompt", "fewgen", "msp"]
METHODS: tuple[str, ...] = ("lora", "prefix", "prompt", "fewgen", "msp")
DEFAULT_LEARNING_RATE = {
    "lora": 5e-4,
    "prefix": 5e-3,
    "prompt": 3e-2,
    "fewgen": 5e-3,
    "msp": 3e-2,  # soft prompts of input embeddings, as prompt tuning
}
# methods whose adapter is virtual tokens (prefix key/values or input embeddings)
VIRTUAL_TOKEN_METHODS = frozenset({"prefix", "prompt", "fewgen", "msp"})


class AdaptSettings(SpecModel):
    """One training run of an adapter on a spec's seed examples."""

    method: Method
    epochs: Int = Field(20, ge=1, le=100_000)
    learning_rate: Real | None = Field(
        None, gt=0, le=10, description="None: the method's default (DEFAULT_LEARNING_RATE)"
    )
    batch_size: Int = Field(8, ge=1, le=4096)
    warmup_fraction: Real = Field(0.06, ge=0, lt=1)
    seed: Int = Field(0, ge=0, le=2**32 - 1)
    lora_rank: Int = Field(8, ge=1, le=1024)
    lora_alpha: Int = Field(16, ge=1, le=4096)
    lora_dropout: Real = Field(0.05, ge=0, lt=1)
    lora_target_modules: tuple[str, ...] = Field(
        ("q_proj", "v_proj"), min_length=1, description="module names LoRA adapts"
    )
    virtual_tokens: Int = Field(10, ge=1, le=512)
    max_target_tokens: Int = Field(
        128, ge=4, le=8192, description="tokens of a seed example trained on; longer ones are cut"
    )
    fewgen_discriminative_weight: Real = Field(
        0.0,
        ge=0,
        le=100,
        description="FewGen: weight of the discriminative loss added to the weighted likelihood",
    )
    msp_mixture: Literal["concat", "mean", "attention"] = Field(
        "mean",
        description="MSP: how an example's value prompts are mixed; mean had the lower held-out "
        "loss on SST-2 seeds (docs/adapt.md)",
    )
    save_every: Int | None = Field(
        None, ge=1, description="steps between checkpoints; None: about every 5% of the run"
    )

    @property
    def lr(self) -> float:
        return float(self.learning_rate or DEFAULT_LEARNING_RATE[self.method])

    def used(self) -> dict:
        """The settings that decide the adapter (those of other methods left out), with the
        learning rate resolved: what the adapter directory records."""
        data = self.model_dump(mode="json") | {"learning_rate": self.lr}
        data.pop("save_every")
        if self.method != "lora":
            data = {k: v for k, v in data.items() if not k.startswith("lora_")}
        if self.method not in VIRTUAL_TOKEN_METHODS:
            data.pop("virtual_tokens")
        if self.method != "fewgen" or not self.fewgen_discriminative_weight:
            data.pop("fewgen_discriminative_weight")  # unset: the keys of earlier adapters
        if self.method != "msp":
            data.pop("msp_mixture")
        return data
