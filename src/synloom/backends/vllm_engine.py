"""Building the vllm backend's engine: importing vLLM (or the one-line error naming the extra),
where the weights come from (the embedded model's converted copy, read offline), the engine's
arguments and CPU settings, and the `synloom adapt` LoRA adapter vLLM serves.

vLLM: Kwon et al., "Efficient Memory Management for Large Language Model Serving with
PagedAttention" (SOSP 2023); LoRA serving after S-LoRA (Sheng et al., MLSys 2024).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import BackendError
from synloom.extras import MissingExtraError
from synloom.spec.backend import EMBEDDED_MODEL

if TYPE_CHECKING:
    from synloom.spec.backend import VllmBackendConfig

INSTALL_HINT = (
    "pip install 'synloom[vllm]' (a machine without a GPU: bash scripts/install_vllm.sh, "
    "vLLM's CPU build in its own venv)"
)
# the LoRA ranks vLLM's kernels are built for (`max_lora_rank` must be one of them)
LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)


def import_vllm() -> Any:
    """The `vllm` module, or the one-line error saying how to install it."""
    try:
        import vllm
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "vllm":
            raise
        raise MissingExtraError(f"vllm is not installed; {INSTALL_HINT}") from None
    return vllm


def on_cpu(vllm: Any) -> bool:
    """Whether this vLLM is the CPU build."""
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


def model_path(config: VllmBackendConfig) -> str:
    """The embedded model's converted copy (float32 safetensors + tokenizer, made from the GGUF
    once and read offline), else the spec's id or path."""
    if config.model != EMBEDDED_MODEL:
        return config.model
    from synloom.backends.embedded import embedded_model_dir

    return str(embedded_model_dir())


@dataclass(frozen=True)
class LoraAdapter:
    path: Path
    rank: int
    sha256: str

    def facts(self) -> dict[str, Any]:
        return {"path": str(self.path), "method": "lora", "sha256": self.sha256[:16]}


def read_lora(path: str, model_dir: str, model_name: str) -> LoraAdapter:
    """The adapter at `path` when vLLM can serve it (one LoRA, trained on this model), else a
    one-line BackendError."""
    from synloom.backends.adapter import IDENTITY_FIELDS, read_adapter_meta
    from synloom.spec.adapter_dir import adapter_sha256

    meta = read_adapter_meta(path)
    method = meta["method"]
    if method != "lora" or meta.get("per_label"):
        kind = "a per-label (FewGen)" if meta.get("per_label") else f"a {method!r}"
        raise BackendError(
            f"adapter {path} is {kind} adapter; vLLM serves LoRA adapters only "
            "(use backend.type: local for it)"
        )
    found = _model_config(model_dir)
    trained_on = meta["base"].get("config") or {}
    differs = [f for f in IDENTITY_FIELDS if trained_on.get(f) != found.get(f)]
    if differs:
        raise BackendError(
            f"adapter {path} was trained on model {meta['base'].get('model')!r}, not on the "
            f"backend's {model_name!r} ({', '.join(differs)} differ)"
        )
    try:
        rank = int(json.loads((Path(path) / "adapter_config.json").read_text("utf-8"))["r"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackendError(f"adapter {path}: unreadable adapter_config.json ({exc})") from None
    return LoraAdapter(Path(path), rank, adapter_sha256(path))


def _model_config(model_dir: str) -> dict[str, Any]:
    """The model's config.json as the adapter's identity compares it (a local directory; for a
    hub id, transformers' cached copy)."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(model_dir)
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot read the configuration of {model_dir}: {exc}") from None
    from synloom.backends.adapter import IDENTITY_FIELDS

    return {f: getattr(config, f, None) for f in IDENTITY_FIELDS}


def resolve_dtype(config: VllmBackendConfig, cpu: bool) -> str:
    """The local backend's rule: auto is bfloat16 on a GPU or a CPU with native bf16, else
    float32 (vLLM's own auto would take the float32 copy's half precision)."""
    from synloom.backends.hf_model import resolve_dtype as local_rule

    return local_rule(config.dtype, "cpu" if cpu else "cuda")


def engine_kwargs(
    config: VllmBackendConfig, path: str, dtype: str, cpu: bool, lora: LoraAdapter | None
) -> dict[str, Any]:
    """Keyword arguments of `vllm.LLM` for the spec's backend section."""
    kwargs: dict[str, Any] = {
        "model": path,
        "tokenizer": path,
        "dtype": dtype,
        "trust_remote_code": config.trust_remote_code,
        "enable_prefix_caching": config.enable_prefix_caching,
        "enforce_eager": cpu if config.enforce_eager is None else config.enforce_eager,
        "tensor_parallel_size": config.tensor_parallel_size,
        "gpu_memory_utilization": config.gpu_memory_utilization,
        "seed": 0,  # every request carries its own seed
    }
    if config.revision is not None:
        kwargs["revision"] = config.revision
    if config.max_model_len is not None:
        kwargs["max_model_len"] = config.max_model_len
    if config.max_num_seqs is not None:
        kwargs["max_num_seqs"] = config.max_num_seqs
    if lora is not None:
        rank = next((r for r in LORA_RANKS if r >= lora.rank), None)
        if rank is None:
            raise BackendError(
                f"adapter {lora.path}: rank {lora.rank} is over vLLM's {LORA_RANKS[-1]}"
            )
        kwargs |= {"enable_lora": True, "max_loras": 1, "max_lora_rank": rank}
    return kwargs


def set_cpu_environment(config: VllmBackendConfig) -> None:
    """The CPU build's settings, unless the user set them: the KV cache size, OpenMP threads
    bound to the cores this process may use, and the engine in this process (no spawned engine,
    so no `if __name__ == "__main__"` guard is needed around a script's run)."""
    if config.kv_cache_gb is not None:
        os.environ["VLLM_CPU_KVCACHE_SPACE"] = f"{config.kv_cache_gb:g}"
    bind = cpu_threads_bind()
    if bind is not None:
        os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", bind)
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


def cpu_threads_bind() -> str | None:
    """The cores this process may run on as VLLM_CPU_OMP_THREADS_BIND lists them ("0,1"); its
    default, "auto", binds by NUMA node and failed on these 2-core VMs (runtime.md)."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return ",".join(str(c) for c in cores) or None
