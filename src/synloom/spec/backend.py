"""Which model generates: the embedded default, any HF model, an OpenAI-compatible server, or
vLLM's engine in process."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from synloom.spec.base import Int, Real, SpecModel

EMBEDDED_MODEL = "embedded"


class LocalBackendConfig(SpecModel):
    """transformers + torch in this process. `model`: "embedded", a Hugging Face id or a local path.

    A Hugging Face id is downloaded when the hub is reachable (else read from the local cache);
    only the embedded model is always read offline."""

    type: Literal["local"] = "local"
    model: str = Field(EMBEDDED_MODEL, min_length=1)
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        description="auto: bfloat16 on a GPU or a CPU with native bf16, else float32; float16 "
        "or bfloat16 on a CPU without native support runs, emulated and slow, with a warning",
    )
    revision: str | None = Field(
        None,
        min_length=1,
        max_length=256,
        pattern=r"^[\w.\-/]+$",
        description="branch, tag or commit of a Hugging Face id; None: the default branch",
    )
    trust_remote_code: bool = Field(
        False, description="run the modelling code a model ships (only for code you trust)"
    )
    device_map: Literal["auto", "balanced", "balanced_low_0", "sequential"] | None = Field(
        None,
        description="let accelerate place the model over the GPUs (and CPU); replaces `device`",
    )
    threads: Int | None = Field(
        None, ge=1, le=1024, description="torch threads; None keeps torch's default"
    )
    device: str = Field(
        "auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?|mps)$",
        description="auto: $SYNLOOM_DEVICE, else a CUDA GPU when torch sees one, else the CPU",
    )
    adapter: str | None = Field(
        None,
        min_length=1,
        description="directory `synloom adapt` wrote (relative to the spec): the generator runs "
        "with that adapter; it must have been trained on this backend's model",
    )
    share_prefix: bool = Field(
        True,
        description="prefill identical prompts and the prefix all prompts of a batch share once "
        "(where that saves a quarter of the prefill); false: each prompt on its own, as before",
    )
    sampler: Literal["fast", "transformers"] = Field(
        "fast",
        description="fast: top-p/top-k sampling over the 1,024 most likely tokens (the same "
        "distribution, a fraction of the work) in the backend's own decoding loop, where rows "
        "that ended leave the batch; transformers: its warpers and `generate`, as before",
    )
    decode_rows: Int | None = Field(
        None,
        ge=1,
        le=65536,
        description="with the fast sampler, at most this many rows decode at once; a call with "
        "more (generation.batch_size x samples_per_prompt) refills the batch as rows end. None: "
        "all of a call's rows at once",
    )

    @model_validator(mode="after")
    def _check_placement(self) -> LocalBackendConfig:
        if self.device_map is not None and self.device != "auto":
            raise ValueError(
                f"device_map ({self.device_map}) places the model itself; leave device at auto "
                f"(it is {self.device})"
            )
        if self.revision is not None and self.model == EMBEDDED_MODEL:
            raise ValueError("revision applies to a Hugging Face id, not the embedded model")
        return self


class OpenAIBackendConfig(SpecModel):
    """Any OpenAI-compatible server (vLLM, llama-server, Ollama, OpenAI). The key comes from an env var."""

    type: Literal["openai"] = "openai"
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = Field("default", min_length=1)
    api_key_env: str = Field(
        "OPENAI_API_KEY",
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="name of the environment variable holding the key (upper case)",
    )
    endpoint: Literal["completions", "chat"] = "completions"
    max_concurrency: Int = Field(
        64, ge=1, le=4096, description="upper cap for adaptive concurrency"
    )
    initial_concurrency: Int = Field(8, ge=1, le=4096)
    timeout_s: Real = Field(60.0, gt=0, le=3600)
    max_retries: Int = Field(5, ge=0, le=100)
    max_retry_after_s: Real = Field(
        60.0,
        ge=0,
        le=86400,
        description="longest wait honoured from a server's Retry-After; longer asks wait this long",
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError as exc:
            raise ValueError(f"not a valid URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value


class VllmBackendConfig(SpecModel):
    """vLLM's engine in this process (the `vllm` extra; on a CPU `scripts/install_vllm.sh`):
    batched generation with prefix caching, a seed per request, log-prob scoring, and a LoRA
    adapter of `synloom adapt`. `model`: "embedded" (its converted copy), a Hugging Face id or a
    local path."""

    type: Literal["vllm"] = "vllm"
    model: str = Field(EMBEDDED_MODEL, min_length=1)
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="auto: as the local backend's (bfloat16 where native, else float32)"
    )
    revision: str | None = Field(None, min_length=1, max_length=256, pattern=r"^[\w.\-/]+$")
    trust_remote_code: bool = False
    max_model_len: Int | None = Field(
        None, ge=16, le=10_000_000, description="context the engine plans for; None: the model's"
    )
    gpu_memory_utilization: Real = Field(
        0.9, gt=0, le=1, description="share of GPU memory vLLM may take (weights + KV cache)"
    )
    kv_cache_gb: Real | None = Field(
        None, gt=0, le=4096, description="CPU build: KV cache size in GiB; None: vLLM's default"
    )
    enable_prefix_caching: bool = Field(
        True, description="reuse the KV cache of a prompt prefix shared by requests"
    )
    enforce_eager: bool | None = Field(
        None, description="no CUDA graphs / compilation; None: true on the CPU build, else false"
    )
    tensor_parallel_size: Int = Field(1, ge=1, le=1024)
    max_num_seqs: Int | None = Field(
        None, ge=1, le=65536, description="sequences decoded at once; None: vLLM's default"
    )
    adapter: str | None = Field(
        None,
        min_length=1,
        description="a LoRA directory `synloom adapt` wrote (relative to the spec), served "
        "through vLLM's LoRA support; prefix, prompt, FewGen and MSP adapters need type: local",
    )

    @model_validator(mode="after")
    def _check_revision(self) -> VllmBackendConfig:
        if self.revision is not None and self.model == EMBEDDED_MODEL:
            raise ValueError("revision applies to a Hugging Face id, not the embedded model")
        return self


BackendConfig = Annotated[
    LocalBackendConfig | OpenAIBackendConfig | VllmBackendConfig, Field(discriminator="type")
]
