"""Backend factory keyed by the spec's `backend.type`; heavy imports stay lazy."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from synloom.errors import BackendError

if TYPE_CHECKING:
    from synloom.backends.base import Backend

# type -> "module:factory"; the factory takes the backend config.
BACKENDS: dict[str, str] = {
    "local": "synloom.backends.local:LocalBackend.from_config",
    "openai": "synloom.backends.openai_compat:OpenAIBackend.from_config",
}


def load_backend(config) -> Backend:
    """Build the backend a spec's `backend` section declares."""
    target = BACKENDS.get(config.type)
    if target is None:
        raise BackendError(f"unknown backend {config.type!r}; known: {', '.join(sorted(BACKENDS))}")
    module_name, _, attr = target.partition(":")
    obj = import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj(config)
