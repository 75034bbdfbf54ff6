"""The values the run store takes and gives back: a planned request, a parsed output, an accepted
sample."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synloom.store.schema import OutputStatus


@dataclass(frozen=True)
class PlannedRequest:
    id: str
    stage: str
    round: int
    idx: int
    batch: int
    label: str | None
    prompt: str
    context: str | None
    seed: int
    params: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Output:
    """One request's parsed completion, as `record_output` stores it: a candidate with its
    text(s) (`text_b` for pairs), or rejected with `reason` and `detail`; the raw text is kept
    either way."""

    raw_text: str
    completion: str
    finish_reason: str
    n_tokens: int
    status: OutputStatus
    text: str | None = None
    text_b: str | None = None
    reason: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", OutputStatus(self.status))


@dataclass(frozen=True)
class Sample:
    id: str
    label: str
    text: str
    text_b: str | None
    meta: dict[str, Any]
    context: str | None = None  # what the request's {context} was filled with, if anything

    def to_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.id, "text": self.text, "label": self.label}
        if self.text_b is not None:
            rec["text_b"] = self.text_b
        return rec | {"meta": self.meta}
