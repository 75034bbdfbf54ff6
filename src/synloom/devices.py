"""Which torch device the local model, the embedder and the fine-tuned task model run on.

"auto" means $SYNLOOM_DEVICE when set, else the first CUDA GPU when torch sees one, else the CPU.
"""

from __future__ import annotations

import os
import re

from synloom.errors import SynloomError

DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps)$")


def resolve_device(name: str = "auto") -> str:
    """A concrete torch device name ("cpu", "cuda", "cuda:1", "mps") for `name`."""
    if name == "auto":
        name = os.environ.get("SYNLOOM_DEVICE", "").strip() or "auto"
    if not DEVICE_PATTERN.match(name):
        raise SynloomError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps")
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SynloomError(f"device {name!r} was asked for, but torch sees no CUDA GPU")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise SynloomError(
                f"device {name!r} was asked for, but torch sees {torch.cuda.device_count()} GPU(s)"
            )
    if name == "mps" and not torch.backends.mps.is_available():
        raise SynloomError("device 'mps' was asked for, but torch's MPS backend is not available")
    return name
