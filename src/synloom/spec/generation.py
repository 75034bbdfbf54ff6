"""Decoding settings and the sample budget."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from synloom.spec.base import Int, Real, SpecModel

MAX_SAMPLES_PER_LABEL = 10_000_000  # planning and the store grow with the budget
MAX_SAMPLES_PER_PROMPT = 64


class GenerationConfig(SpecModel):
    """How many samples to make and how to decode them (ZeroGen defaults: top-p 0.9, top-k 0, T 1.0)."""

    samples_per_label: Int = Field(
        100, ge=0, le=MAX_SAMPLES_PER_LABEL, description="accepted samples wanted per label"
    )
    batch_size: Int = Field(
        32,
        ge=1,
        le=4096,
        description="samples per backend call (with samples_per_prompt n: batch_size // n prompts"
        " of n samples each, at least one prompt)",
    )
    samples_per_prompt: Int | None = Field(
        None,
        ge=1,
        le=MAX_SAMPLES_PER_PROMPT,
        description="samples decoded from one rendered prompt (one prefill, its cache shared);"
        " unset or 1: one sample per prompt",
    )
    max_new_tokens: Int = Field(40, ge=1, le=32768)
    temperature: Real = Field(1.0, ge=0.0, le=10.0)
    top_p: Real = Field(0.9, gt=0.0, le=1.0)
    top_k: Int = Field(0, ge=0, le=1_000_000, description="0 disables top-k")
    stop: list[str] = Field(default_factory=lambda: ['"', "\n"], max_length=16)
    oversample: Real = Field(
        1.2, ge=1.0, le=100.0, description="requests planned per missing sample in the first round"
    )
    max_rounds: Int = Field(
        6, ge=1, le=1000, description="planning rounds before giving up on a budget"
    )
    max_requests_factor: Real = Field(
        10.0,
        ge=1.0,
        le=1000.0,
        description="a stage plans at most this many times its budget in requests, all rounds"
        " together; a run that reaches the cap stops short (exit 3) instead of running away",
    )
    near_duplicate_threshold: Real | None = Field(
        None, gt=0.0, le=1.0, description="MinHash Jaccard threshold; None turns the filter off"
    )
    executor: Literal["local", "ray"] = Field(
        "local",
        description="where a round's batches run: in this process (local) or on Ray actors, each"
        " with its own backend (ray; the 'ray' extra); never changes the data",
    )
    ray_actors: Int = Field(
        2, ge=1, le=4096, description="Ray actors for executor: ray (each loads its own backend)"
    )

    @field_validator("samples_per_prompt")
    @classmethod
    def _one_is_unset(cls, value: int | None) -> int | None:
        # 1 is today's behaviour: stored as unset, so the data fingerprint stays as it was
        return None if value == 1 else value

    @property
    def per_prompt(self) -> int:
        """Samples per rendered prompt (1 when `samples_per_prompt` is unset)."""
        return self.samples_per_prompt or 1

    @model_validator(mode="after")
    def _check_stop(self) -> GenerationConfig:
        if any(s == "" for s in self.stop):
            raise ValueError("stop strings must not be empty")
        return self
