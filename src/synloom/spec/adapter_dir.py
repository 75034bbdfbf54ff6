"""The directory `synloom adapt` writes and `backend.adapter` names: how a spec finds it and what
of it decides the data (its weights and their configuration, hashed for the run's fingerprint).

Layout: `synloom_adapter.json` (method, settings, base model, prompts, loss curve) beside the
weights: peft's `adapter_config.json` + `adapter_model.safetensors` for one adapter (LoRA, prefix,
prompt tuning; the LoRA format vLLM loads), or one such folder per label under `labels/` (FewGen's
per-label prefixes). `checkpoint/` holds the state of an unfinished training run.
"""

from __future__ import annotations

from pathlib import Path

from synloom.errors import SpecError
from synloom.spec.contexts import files_sha256

ADAPTER_META = "synloom_adapter.json"
CHECKPOINT_DIR = "checkpoint"
# what of the directory decides what the adapted generator writes
WEIGHT_SUFFIXES = (".safetensors", ".bin")
CONFIG_NAMES = ("adapter_config.json",)


def adapter_files(path: str | Path) -> list[Path]:
    """The weight and adapter-config files under `path` (not the checkpoint), sorted."""
    root = Path(path)
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and CHECKPOINT_DIR not in p.relative_to(root).parts[:-1]
        and (p.suffix in WEIGHT_SUFFIXES or p.name in CONFIG_NAMES)
    )


def adapter_sha256(path: str | Path) -> str:
    """Hash of the adapter's weight and config files (names and bytes), where they lie aside."""
    root = Path(path)
    return files_sha256(root, adapter_files(root))


def check_adapter_dir(path: Path, where: str) -> Path:
    """`path` when it is a finished adapter directory; else a one-line SpecError."""
    if not path.is_dir():
        raise SpecError(f"{where}: no adapter directory at {path}")
    if not (path / ADAPTER_META).is_file():
        hint = (
            " (its training did not finish: rerun `synloom adapt`)"
            if (path / CHECKPOINT_DIR).is_dir()
            else " (write one with `synloom adapt SPEC --out DIR`)"
        )
        raise SpecError(f"{where}: {path} holds no {ADAPTER_META}{hint}")
    if not adapter_files(path):
        raise SpecError(f"{where}: {path} holds no adapter weights")
    return path
