"""Task models and training strategies by name, loaded lazily (importing this is cheap).

TAMs: "tfidf", "embed-lr", "finetune". Strategies are named option sets of "finetune"
(methods.md §4), combinable: `create_task_model("finetune", strategies=["label-smoothing",
"temporal-ensembling"])`. "few-shot-first" needs real few-shot data passed to `fit(few_shot=...)`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.train.base import TaskModel

TASK_MODELS: dict[str, str] = {
    "tfidf": "synloom.train.tfidf:TfidfLogReg",
    "embed-lr": "synloom.train.embedding_lr:EmbeddingLogReg",
    "finetune": "synloom.train.finetune:FineTuneClassifier",
}

STRATEGIES: dict[str, dict[str, Any]] = {
    "label-smoothing": {"label_smoothing": 0.15},
    "temporal-ensembling": {
        "temporal_ensembling": True,
        "ensemble_momentum": 0.9,
        "consistency_weight": 20.0,
    },
    "confidence-filter": {"confidence_threshold": 0.8},
    "rce": {"loss": "rce"},
    "sce": {"loss": "sce"},
    "few-shot-first": {"few_shot_epochs": 10, "after_few_shot_lr_scale": 0.5},
    # FewGen's full recipe for the synthetic stage (Meng et al., 2023).
    "fewgen": {
        "label_smoothing": 0.15,
        "temporal_ensembling": True,
        "ensemble_momentum": 0.9,
        "consistency_weight": 20.0,
        "confidence_threshold": 0.8,
    },
}


def task_model_class(name: str) -> type[TaskModel]:
    try:
        module_name, attr = TASK_MODELS[name].split(":")
    except KeyError:
        raise SynloomError(
            f"unknown task model {name!r}; choose one of {', '.join(TASK_MODELS)}"
        ) from None
    return getattr(import_module(module_name), attr)


def strategy_options(strategies: Sequence[str]) -> dict[str, Any]:
    """Merge the options of the named strategies (later names win on conflicts)."""
    options: dict[str, Any] = {}
    for strategy in strategies:
        if strategy not in STRATEGIES:
            raise SynloomError(
                f"unknown training strategy {strategy!r}; choose from {', '.join(STRATEGIES)}"
            )
        options.update(STRATEGIES[strategy])
    return options


def create_task_model(name: str, *, strategies: Sequence[str] = (), **options: Any) -> TaskModel:
    """Instantiate a task model; strategies apply to "finetune" only."""
    cls = task_model_class(name)
    if strategies:
        if name != "finetune":
            raise SynloomError(
                f"training strategies ({', '.join(strategies)}) need the 'finetune' task model, "
                f"not {name!r}"
            )
        options = {**strategy_options(strategies), **options}
    try:
        return cls(**options)
    except TypeError as exc:
        raise SynloomError(f"bad option for task model {name!r}: {exc}") from None
