"""Which model generates: the embedded default, any HF model, or an OpenAI-compatible server."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from synloom.spec.base import Int, Real, SpecModel

EMBEDDED_MODEL = "embedded"


class LocalBackendConfig(SpecModel):
    """transformers + torch in this process. `model`: "embedded", a Hugging Face id or a local path."""

    type: Literal["local"] = "local"
    model: str = Field(EMBEDDED_MODEL, min_length=1)
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    threads: Int | None = Field(
        None, ge=1, le=1024, description="torch threads; None keeps torch's default"
    )
    device: str = Field(
        "auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?|mps)$",
        description="auto: $SYNLOOM_DEVICE, else a CUDA GPU when torch sees one, else the CPU",
    )


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


BackendConfig = Annotated[LocalBackendConfig | OpenAIBackendConfig, Field(discriminator="type")]
