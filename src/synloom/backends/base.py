"""The backend protocol every generator implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from synloom.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np


@dataclass(frozen=True)
class GenerationParams:
    max_new_tokens: int = 40
    temperature: float = 1.0
    top_p: float = 0.9
    top_k: int = 0
    stop: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": list(self.stop),
        }


@dataclass(frozen=True)
class Completion:
    """One request's outcome.

    `text` is the completion cut before the first stop string; `raw_text` is everything the model
    produced (the same where the backend cannot see past the stop). `finish_reason` is "stop"
    (stop string or end of sequence), "length", or "error" with `error` set; a failure also says
    its class (`error_kind`, e.g. "HTTP 400") and whether no retry could fix it (`permanent`).
    """

    text: str
    finish_reason: str
    raw_text: str = ""
    n_tokens: int = 0
    error: str | None = None
    error_kind: str | None = None
    permanent: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None


class SharedFailure(BackendError):
    """`stream()` stopped early: the first requests all failed for one cause no retry can fix
    (HTTP 400, an HTML page instead of JSON). The requests not yet answered were never finished, so
    a rerun sends them once the cause is fixed."""


@runtime_checkable
class Backend(Protocol):
    name: str

    def generate(
        self, prompts: Sequence[str], params: GenerationParams, seeds: Sequence[int]
    ) -> list[Completion]:
        """One completion per prompt. `seeds[i]` seeds request i (local backends seed per batch)."""
        ...

    def score(self, prompts: Sequence[str], continuations: Sequence[str]) -> list[np.ndarray]:
        """Per-token log-probs (natural log) of each continuation given its prompt."""
        ...

    def close(self) -> None: ...


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Text before the earliest stop string, and whether one was found."""
    best = len(text)
    for s in stop:
        pos = text.find(s)
        if 0 <= pos < best:
            best = pos
    return text[:best], best < len(text)
