"""Loading the local backend's transformers causal LM: where its weights come from (the embedded
model, a local directory, or the Hugging Face hub), in which dtype, on which device(s), and a
one-line error that says what failed when it cannot be loaded.

Only the embedded model is loaded with `local_files_only` (it is a converted copy on disk and must
never touch the network). A Hugging Face id is downloaded when the hub can be reached, and read
from the local cache otherwise; synloom never sets `HF_HUB_OFFLINE` for the process, so one
command can use the embedded model and download a user's model.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.devices import resolve_device
from synloom.errors import BackendError
from synloom.spec.backend import EMBEDDED_MODEL

if TYPE_CHECKING:
    from synloom.spec.backend import LocalBackendConfig

log = logging.getLogger(__name__)

# CPU flags (from /proc/cpuinfo) under which a dtype runs natively; elsewhere torch emulates it
NATIVE_CPU_FLAGS = {"bfloat16": ("avx512_bf16", "amx_bf16"), "float16": ("avx512_fp16", "amx_fp16")}


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return ""


def cpu_runs_natively(dtype: str) -> bool:
    """Whether this CPU has native instructions for `dtype` (always true for float32)."""
    if dtype == "float32":
        return True
    flags = cpu_flags()
    return any(flag in flags for flag in NATIVE_CPU_FLAGS.get(dtype, ()))


def resolve_dtype(dtype: str, device: str) -> str:
    """`auto`: bfloat16 on a GPU or a CPU with native bf16, else float32. An explicit half
    precision on a CPU without native support is kept (it decides the data: the spec asked for
    it) and logged as a warning, since torch emulates it there, several times slower."""
    if dtype == "auto":
        if device != "cpu":
            chosen, why = "bfloat16", f"device {device}"
        elif cpu_runs_natively("bfloat16"):
            chosen, why = "bfloat16", "a CPU with native bfloat16"
        else:
            chosen, why = "float32", "a CPU without native bfloat16"
        log.info("dtype auto: %s (%s)", chosen, why)
        return chosen
    if device == "cpu" and dtype != "float32" and not cpu_runs_natively(dtype):
        flags = " / ".join(NATIVE_CPU_FLAGS[dtype])
        log.warning(
            "dtype %s on a CPU without native %s (%s) is emulated by torch and slow; "
            "float32 (or dtype: auto) is faster here",
            dtype,
            dtype,
            flags,
        )
    return dtype


@dataclass(frozen=True)
class LoadedModel:
    tokenizer: Any
    model: Any
    device: str  # where inputs go: the device asked for, or the first one of a device_map
    dtype: str


def load_causal_lm(config: LocalBackendConfig) -> LoadedModel:
    """Tokenizer and model for a local backend config, in eval mode on its device(s)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    embedded = config.model == EMBEDDED_MODEL
    if embedded:
        from synloom.backends.embedded import embedded_model_dir

        path = str(embedded_model_dir())
    else:
        path = config.model
        _check_directory(path)
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    options: dict[str, Any] = {"trust_remote_code": config.trust_remote_code}
    if embedded:
        options["local_files_only"] = True
    if config.revision is not None:
        options["revision"] = config.revision
    placement = {} if config.device_map is None else {"device_map": config.device_map}
    part = "configuration"  # first: it says whether custom code or a new architecture is needed
    try:
        model_config = AutoConfig.from_pretrained(path, **options)
        part = "tokenizer"
        tokenizer = AutoTokenizer.from_pretrained(path, **options)
        part = "weights"
        model = AutoModelForCausalLM.from_pretrained(
            path, config=model_config, dtype=getattr(torch, dtype), **options, **placement
        )
    except (OSError, ValueError, KeyError, ImportError) as exc:
        why = describe_load_failure(config.model, exc, config.revision, part=part)
        raise BackendError(why) from exc
    if config.device_map is None:
        model.to(device)
    else:
        device = str(model.device)
    model.eval()
    _log_loaded(config, path, model, device, dtype, time.perf_counter() - started)
    return LoadedModel(tokenizer, model, device, dtype)


def _log_loaded(
    config: LocalBackendConfig, path: str, model: Any, device: str, dtype: str, seconds: float
) -> None:
    """One INFO line (shown by `synloom -v`) saying which weights were loaded, how and where."""
    if config.model == EMBEDDED_MODEL:
        source = f"the embedded SmolLM2-135M-Instruct at {path}"
    elif Path(path).expanduser().is_dir():
        source = f"directory {path}"
    else:
        source = "the Hugging Face hub or its local cache"
    revision = getattr(model.config, "_commit_hash", None) or config.revision or "none"
    placement = (
        device if config.device_map is None else f"{device} (device_map {config.device_map})"
    )
    log.info(
        "loaded model %r from %s: revision %s, dtype %s (asked %s), device %s, %.1f s",
        config.model,
        source,
        revision,
        dtype,
        config.dtype,
        placement,
        seconds,
    )


def _looks_like_path(name: str) -> bool:
    """A name that can only be a directory: absolute, `./`, `../`, `~`, or more than one `/`."""
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or name.endswith("/")


def _check_directory(name: str) -> None:
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise BackendError(
                f"model directory {name!r} holds no config.json: not a transformers model "
                "(save one with save_pretrained, or give a Hugging Face id)"
            )
        return
    if path.exists():
        raise BackendError(f"model {name!r} is a file; give a model directory or a Hugging Face id")
    if _looks_like_path(name):
        raise BackendError(f"model directory {name!r} does not exist")


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from or during."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _first(chain: list[BaseException], *names: str) -> BaseException | None:
    """The first exception of `chain` that is an instance of a class called one of `names`
    (matched by name: huggingface_hub moved its error classes between versions)."""
    for exc in chain:
        if any(cls.__name__ in names for cls in type(exc).__mro__):
            return exc
    return None


def _first_line(exc: BaseException, limit: int = 240) -> str:
    """`Type: message`, on one line and at most about `limit` characters."""
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return f"{type(exc).__name__}: {text}"


def _offline() -> bool:
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - transformers depends on it
        return False
    return bool(constants.HF_HUB_OFFLINE)


def describe_load_failure(
    name: str, exc: BaseException, revision: str | None = None, *, part: str = "model"
) -> str:
    """One line saying what stopped `name` from loading, from the exception transformers raised
    and the errors it was raised from; `part` is what was being loaded (configuration,
    tokenizer, weights)."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    if "trust_remote_code" in text:
        return (
            f"model {name!r} ships its own modelling code; set backend.trust_remote_code: true "
            "to run it (only for a model whose code you trust)"
        )
    if _first(chain, "GatedRepoError"):
        return (
            f"model {name!r} is gated on the Hugging Face hub: accept its terms at "
            f"https://huggingface.co/{name} and log in (`hf auth login` or HF_TOKEN)"
        )
    if _first(chain, "RevisionNotFoundError"):
        return f"model {name!r} has no revision {revision!r} on the Hugging Face hub"
    if _first(chain, "RepositoryNotFoundError"):
        return (
            f"model {name!r} is not on the Hugging Face hub (no such repository, or a private "
            "one: log in with `hf auth login` or HF_TOKEN)"
        )
    if _first(chain, "LocalEntryNotFoundError"):
        if _offline():
            why = "offline mode: HF_HUB_OFFLINE is set; unset it to download"
        else:  # the deepest cause: the network error (DNS, refused, timeout, proxy)
            why = _first_line(chain[-1])
        return f"model {name!r} not found locally and the hub could not be reached ({why})"
    if _first(chain, "HFValidationError"):
        return f"model {name!r} is neither a model directory nor a valid Hugging Face id"
    if _first(chain, "EntryNotFoundError", "RemoteEntryNotFoundError"):
        return f"model {name!r} lacks a file transformers needs ({_first_line(exc)})"
    if "does not recognize this architecture" in text:
        import transformers

        return (
            f"model {name!r} has an architecture transformers {transformers.__version__} does "
            "not know; upgrade transformers (or set backend.trust_remote_code if the model "
            "ships its code)"
        )
    return f"cannot load the {part} of model {name!r}: {_first_line(exc)}"
