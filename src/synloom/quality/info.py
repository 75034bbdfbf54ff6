"""What each metric measures: a frozen `MetricInfo` per metric and the registry that lists them.

Mirrors HF evaluate's split of `_info()` (description, citation) from a pure `_compute()`: each
metric module declares `METRICS`, a tuple of `MetricInfo`, next to its pure functions. The
registry here imports those modules lazily (they import only numpy at module level).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Literal

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Callable

Family = Literal["diversity", "correctness", "naturalness", "fidelity", "privacy"]
Direction = Literal["higher", "lower", "closer_to_reference", "none"]


@dataclass(frozen=True)
class MetricInfo:
    """Description of one metric: enough to read a number without opening the code."""

    name: str
    family: Family
    measures: str
    range: str
    better: Direction
    citation: str
    function: str  # "module:function" computing it
    inputs: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return asdict(self)

    def load(self) -> Callable:
        module_name, _, attr = self.function.partition(":")
        return getattr(import_module(module_name), attr)


# One module per metric; each declares METRICS.
METRIC_MODULES: tuple[str, ...] = (
    "synloom.quality.distinct_n",
    "synloom.quality.self_bleu",
    "synloom.quality.aps",
    "synloom.quality.ingf",
    "synloom.quality.vocabulary",
    "synloom.quality.vendi",
    "synloom.quality.compression",
    "synloom.quality.oracle",
    "synloom.quality.relabel",
    "synloom.quality.confusion",
    "synloom.quality.perplexity",
    "synloom.quality.mauve",
    "synloom.quality.frechet",
    "synloom.quality.distribution",
    "synloom.quality.leakage",
    "synloom.quality.dcr",
)


def list_metrics() -> list[MetricInfo]:
    """Every registered metric, in family order."""
    infos: list[MetricInfo] = []
    for module_name in METRIC_MODULES:
        infos.extend(import_module(module_name).METRICS)
    return infos


def get_metric(name: str) -> MetricInfo:
    """The metric called `name`; a SynloomError lists the known names otherwise."""
    infos = {info.name: info for info in list_metrics()}
    if name not in infos:
        raise SynloomError(f"unknown metric {name!r}; known: {', '.join(sorted(infos))}")
    return infos[name]
