"""The backend protocol every generator implements, and the capabilities some add.

`Backend` is what the engine, the prompting baseline and the LM metrics need: a batch of
completions, per-token log-probs, a `model_name` for reports, `close()`. A backend that can keep
a whole round in flight also implements `StreamingBackend`; one that can cut texts with its own
tokenizer implements `TruncatingBackend`. Callers test these with `isinstance`, never `hasattr`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from synloom.errors import BackendError

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    import numpy as np

    from synloom.batching import Truncation


@dataclass(frozen=True)
class GenerationParams:
    """Decoding settings of a round. `self_debias_decay` (λ) asks for self-debiasing
    (`synloom.backends.self_debias`, local backend only); `counter_prompts[i]` are then prompt
    i's other-label prompts, filled per batch from the requests (never stored in `to_json`).
    `labels[i]` is prompt i's label (None for a request of no label, e.g. a context), filled per
    batch the same way, for a backend whose adapter has one part per label (FewGen). `n`: the
    completions wanted per prompt (`generation.samples_per_prompt`), set per call by the engine,
    never stored in `to_json`; a backend then returns `n` completions per prompt, prompt-major
    (prompt i's k-th at i * n + k), with one seed per completion in the same order."""

    max_new_tokens: int = 40
    temperature: float = 1.0
    top_p: float = 0.9
    top_k: int = 0
    stop: tuple[str, ...] = ()
    self_debias_decay: float | None = None
    counter_prompts: tuple[tuple[str, ...], ...] = ()
    labels: tuple[str | None, ...] = ()
    # prompt i's attribute values as (dimension, value) pairs, filled per batch like `labels`,
    # for an adapter with one part per attribute value (MSP)
    attributes: tuple[tuple[tuple[str, str], ...], ...] = ()
    n: int = 1
    # a JSON schema (canonical JSON text) the completion must follow: structured records
    # (`synloom.recipes.records`); the local backend constrains decoding to it, an HTTP one asks
    # the server's structured output; None: free text
    json_schema: str | None = None

    def to_json(self) -> dict:
        out = {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": list(self.stop),
        }
        if self.self_debias_decay is not None:  # absent when off: stored requests stay as they were
            out["self_debias_decay"] = self.self_debias_decay
        if self.json_schema is not None:  # absent for free text, like self_debias_decay
            out["json_schema"] = self.json_schema
        return out


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
    name: str  # the registry type: "local", "openai"

    @property
    def model_name(self) -> str:
        """What reports call the generator (the evaluation table's prompting row, the scorer)."""
        ...

    def generate(
        self, prompts: Sequence[str], params: GenerationParams, seeds: Sequence[int]
    ) -> list[Completion]:
        """`params.n` completions per prompt, prompt-major. `seeds[j]` seeds completion j (local
        backends seed per batch; with n > 1 an HTTP backend sends prompt i once, with `n` and
        seed `seeds[i * n]`)."""
        ...

    def score(self, prompts: Sequence[str], continuations: Sequence[str]) -> list[np.ndarray]:
        """Per-token log-probs (natural log) of each continuation given its prompt."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class StreamingBackend(Protocol):
    """A backend that keeps many requests in flight and yields each outcome as it arrives (HTTP
    backends): the engine sends a whole round through `stream` instead of batch by batch."""

    def stream(
        self, prompts: Sequence[str], params: GenerationParams, seeds: Sequence[int]
    ) -> Generator[tuple[int, Completion], None, None]:
        """(index, Completion) pairs in completion order (with `params.n` > 1 the index is the
        completion's, i * n + k, and a prompt's n completions come one after another); closing
        the generator early stops (and cancels) what is still in flight. Raises `SharedFailure` when the first requests all
        failed alike for good."""
        ...


@runtime_checkable
class TruncatingBackend(Protocol):
    """A backend that can cut texts to a number of its own tokens (local models), so the
    prompting baseline shortens long inputs instead of having them refused."""

    def truncate_texts(
        self, texts: Sequence[str], max_tokens: int
    ) -> tuple[list[str], Truncation]: ...


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Text before the earliest stop string, and whether one was found."""
    best = len(text)
    for s in stop:
        pos = text.find(s)
        if 0 <= pos < best:
            best = pos
    return text[:best], best < len(text)
