"""Backends: one small protocol (generate a batch, score log-probs) plus declared capabilities,
one file per backend and one line in `registry.BACKENDS`."""

from __future__ import annotations

from synloom.backends.base import (
    Backend,
    Completion,
    GenerationParams,
    StreamingBackend,
    TruncatingBackend,
)
from synloom.backends.registry import BackendHandle, load_backend, open_backend

__all__ = [
    "Backend",
    "BackendHandle",
    "Completion",
    "GenerationParams",
    "StreamingBackend",
    "TruncatingBackend",
    "load_backend",
    "open_backend",
]
