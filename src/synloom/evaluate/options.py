"""`EvaluationOptions`: how the three-way table is built, as one object passed through.

The CLI's `evaluate` and `quickstart`, `evaluate_run` and `evaluate_three_way` share it instead of
repeating the same keyword parameters at every level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from synloom.errors import SynloomError


@dataclass(frozen=True)
class EvaluationOptions:
    """The task model and its seeds, and whether and how the prompting baseline runs.

    `prompt_template` / `prompt_fill` adapt the generation prompt for the prompting baseline when
    it holds placeholders a test input cannot fill (e.g. a generated movie name).
    """

    tam: str = "tfidf"
    strategies: tuple[str, ...] = ()
    seeds: tuple[int, ...] = (0,)
    prompting: bool = True
    calibrate: bool = False
    prompt_template: str | None = None
    prompt_fill: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategies", tuple(self.strategies))
        object.__setattr__(self, "seeds", tuple(self.seeds))

    def with_overrides(self, **overrides: Any) -> EvaluationOptions:
        """A copy with some fields replaced; an unknown name is a `SynloomError`."""
        if not overrides:
            return self
        unknown = sorted(set(overrides) - {f.name for f in fields(self)})
        if unknown:
            raise SynloomError(f"unknown evaluation option(s): {', '.join(unknown)}")
        return replace(self, **overrides)
