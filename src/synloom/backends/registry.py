"""Backend factory keyed by the spec's `backend.type`; heavy imports stay lazy.

A new backend is one file (a class with `from_config`, implementing `Backend`) plus one line in
`BACKENDS`. Callers get one through `open_backend` (or `BackendHandle` when it must be built only
if needed), which closes what it built and leaves a backend the caller passed in open.
"""

from __future__ import annotations

from contextlib import contextmanager
from importlib import import_module
from typing import TYPE_CHECKING

from synloom.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from synloom.backends.base import Backend

# type -> "module:factory"; the factory takes the backend config.
BACKENDS: dict[str, str] = {
    "local": "synloom.backends.local:LocalBackend.from_config",
    "openai": "synloom.backends.openai_compat:OpenAIBackend.from_config",
    "vllm": "synloom.backends.vllm:VllmBackend.from_config",
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


class BackendHandle:
    """The caller's backend (`given`, never closed here), or one built from `config` on the first
    `get()` and closed by `close()` / leaving the `with` block. Lazy so that a command with
    nothing to send (a finished run) never loads a model or contacts a server."""

    def __init__(self, config, given: Backend | None = None):
        self._config = config
        self._backend = given
        self._owned = given is None

    def get(self) -> Backend:
        if self._backend is None:
            self._backend = load_backend(self._config)
        return self._backend

    def close(self) -> None:
        """Close the backend if this handle built it (idempotent)."""
        if self._owned and self._backend is not None:
            backend, self._backend = self._backend, None
            backend.close()

    def __enter__(self) -> BackendHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def open_backend(config, given: Backend | None = None) -> Iterator[Backend]:
    """`given` untouched when the caller passes one (the caller owns it), else the backend
    `config` declares, closed on exit."""
    with BackendHandle(config, given) as handle:
        yield handle.get()
