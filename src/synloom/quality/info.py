"""What a metric is: `MetricInfo` describes one number, `Metric` says how `score_dataset` gets it.

Mirrors HF evaluate's split of `_info()` (description, citation) from a pure `_compute()`: each
module in `synloom.quality.metrics` declares its `MetricInfo`s next to its pure functions, and
one `Metric` per result `score_dataset` stores. A `Metric` names the shared inputs it needs
(`synloom.quality.inputs`), so the suite can skip it with a reason when one is missing, and
computes its result from them. `synloom.quality.registry` lists the metrics lazily.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

    from synloom.quality.inputs import ScoringInputs

Family = Literal["diversity", "correctness", "naturalness", "fidelity", "privacy"]
Direction = Literal["higher", "lower", "closer_to_reference", "none"]


@dataclass(frozen=True)
class MetricInfo:
    """Description of one metric: enough to read a number without opening the code.

    `headline` is the key of the number a table shows (None: the result is that number) and
    `label` the table row's name (default: `name`).
    """

    name: str
    family: Family
    measures: str
    range: str
    better: Direction
    citation: str
    function: str  # "module:function" computing it
    inputs: tuple[str, ...] = ()  # the arguments of `function`
    headline: str | None = None
    label: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    def load(self) -> Callable:
        module_name, _, attr = self.function.partition(":")
        return getattr(import_module(module_name), attr)


@dataclass(frozen=True)
class Metric:
    """One result of `score_dataset`: the inputs it needs and a pure function of them.

    `needs` are names of `ScoringInputs` (see `synloom.quality.inputs.NEEDS`); `skip`, when
    given, returns why the metric cannot run on inputs that exist (or None). `compute` is None
    for a metric reported only inside other results (the label confusion). `label` names the
    table row when one info serves several results (leakage vs seed / vs reference).
    """

    name: str
    infos: tuple[MetricInfo, ...]
    needs: tuple[str, ...] = ()
    compute: Callable[[ScoringInputs], Any] | None = None
    skip: Callable[[ScoringInputs], str | None] | None = None
    label: str = ""

    def rows(self) -> list[tuple[str, MetricInfo]]:
        """(row name, info) per table row of this result."""
        if self.label and len(self.infos) == 1:
            return [(self.label, self.infos[0])]
        return [(info.label or info.name, info) for info in self.infos]
