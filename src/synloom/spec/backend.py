"""Which model generates: the embedded default, any HF model, or an OpenAI-compatible server."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from synloom.spec.base import SpecModel

EMBEDDED_MODEL = "embedded"


class LocalBackendConfig(SpecModel):
    """transformers + torch in this process. `model`: "embedded", a Hugging Face id or a local path."""

    type: Literal["local"] = "local"
    model: str = EMBEDDED_MODEL
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    threads: int | None = Field(None, ge=1, description="torch threads; None keeps torch's default")
    device: str = Field(
        "auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?|mps)$",
        description="auto: $SYNLOOM_DEVICE, else a CUDA GPU when torch sees one, else the CPU",
    )


class OpenAIBackendConfig(SpecModel):
    """Any OpenAI-compatible server (vLLM, llama-server, Ollama, OpenAI). The key comes from an env var."""

    type: Literal["openai"] = "openai"
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "default"
    api_key_env: str = "OPENAI_API_KEY"
    endpoint: Literal["completions", "chat"] = "completions"
    max_concurrency: int = Field(64, ge=1, description="upper cap for adaptive concurrency")
    initial_concurrency: int = Field(8, ge=1)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(5, ge=0)


BackendConfig = Annotated[LocalBackendConfig | OpenAIBackendConfig, Field(discriminator="type")]
