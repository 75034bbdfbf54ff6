"""Decoding settings and the sample budget."""

from __future__ import annotations

from pydantic import Field, model_validator

from synloom.spec.base import SpecModel


class GenerationConfig(SpecModel):
    """How many samples to make and how to decode them (ZeroGen defaults: top-p 0.9, top-k 0, T 1.0)."""

    samples_per_label: int = Field(100, ge=0, description="accepted samples wanted per label")
    batch_size: int = Field(32, ge=1, description="prompts per backend call")
    max_new_tokens: int = Field(40, ge=1)
    temperature: float = Field(1.0, ge=0.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    top_k: int = Field(0, ge=0, description="0 disables top-k")
    stop: list[str] = Field(default_factory=lambda: ['"', "\n"])
    oversample: float = Field(
        1.2, ge=1.0, description="requests planned per missing sample in the first round"
    )
    max_rounds: int = Field(6, ge=1, description="planning rounds before giving up on a budget")
    near_duplicate_threshold: float | None = Field(
        None, gt=0.0, le=1.0, description="MinHash Jaccard threshold; None turns the filter off"
    )

    @model_validator(mode="after")
    def _check_stop(self) -> GenerationConfig:
        if any(s == "" for s in self.stop):
            raise ValueError("stop strings must not be empty")
        return self
