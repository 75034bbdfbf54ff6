"""The metrics `score_dataset` runs, in the order it runs them: name -> "module:attribute".

A new metric is one module in `synloom.quality.metrics` (its `MetricInfo`, a pure function and
a `Metric`) plus one line here. Nothing is imported until a metric is asked for, so importing
`synloom.quality` stays light.
"""

from __future__ import annotations

from importlib import import_module

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo

_M = "synloom.quality.metrics."

# result name -> "module:attribute" of its `Metric`; the order is the order of the results.
METRICS: dict[str, str] = {
    "distinct_n": _M + "distinct_n:METRIC",
    "self_bleu": _M + "self_bleu:METRIC",
    "ingf": _M + "ingf:METRIC",
    "vocabulary_size": _M + "vocabulary:METRIC",
    "compression_ratio": _M + "compression:METRIC",
    "vendi_ngram": _M + "vendi:NGRAM",
    "vendi_embedding": _M + "vendi:EMBEDDING",
    "aps": _M + "aps:METRIC",
    "attribute_diversity": _M + "attribute_diversity:METRIC",
    "oracle_agreement": _M + "oracle:METRIC",
    "mauve": _M + "mauve:METRIC",
    "frechet_distance": _M + "frechet:METRIC",
    "length_distance": _M + "distribution:LENGTH",
    "label_distance": _M + "distribution:LABEL",
    "leakage_reference": _M + "leakage:REFERENCE",
    "dcr": _M + "dcr:METRIC",
    "leakage_seed": _M + "leakage:SEED",
    "perplexity": _M + "perplexity:METRIC",
    "relabel_agreement": _M + "relabel:METRIC",
    "label_confusion": _M + "confusion:METRIC",  # reported inside the two agreements
}

FAMILIES = ("diversity", "correctness", "naturalness", "fidelity", "privacy")


def metric_modules() -> tuple[str, ...]:
    """The modules the registered metrics live in, each once."""
    return tuple(dict.fromkeys(target.partition(":")[0] for target in METRICS.values()))


def load_metric(name: str) -> Metric:
    """The registered `Metric` called `name` (its module is imported now)."""
    target = METRICS.get(name)
    if target is None:
        raise SynloomError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}")
    module_name, _, attr = target.partition(":")
    metric = getattr(import_module(module_name), attr)
    if not isinstance(metric, Metric) or metric.name != name:
        raise SynloomError(f"metric {name!r}: {target} is not a Metric named {name!r}")
    return metric


def registered() -> list[Metric]:
    """Every registered metric, in run order."""
    return [load_metric(name) for name in METRICS]


def list_metrics() -> list[MetricInfo]:
    """Every metric description, each once, in family order."""
    infos: dict[str, MetricInfo] = {}
    for metric in registered():
        for info in metric.infos:
            infos.setdefault(info.name, info)
    return sorted(infos.values(), key=lambda info: FAMILIES.index(info.family))


def get_metric(name: str) -> MetricInfo:
    """The metric description called `name`; a SynloomError lists the known names otherwise."""
    infos = {info.name: info for info in list_metrics()}
    if name not in infos:
        raise SynloomError(f"unknown metric {name!r}; known: {', '.join(sorted(infos))}")
    return infos[name]
