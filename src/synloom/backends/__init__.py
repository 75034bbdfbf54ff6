"""Backends: one small protocol (generate a batch, score log-probs), one file per backend."""

from __future__ import annotations

from synloom.backends.base import Backend, Completion, GenerationParams
from synloom.backends.registry import load_backend

__all__ = ["Backend", "Completion", "GenerationParams", "load_backend"]
