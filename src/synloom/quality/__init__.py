"""Quality metrics for synthetic datasets: one module per metric in `synloom.quality.metrics`.

`synloom.quality.registry` lists them (`list_metrics()`: what each measures, range, direction
and citation); `synloom.quality.suite.score_dataset` runs every one whose inputs exist.
Importing this package imports no model code.
"""

from __future__ import annotations

from synloom.quality.info import Metric, MetricInfo
from synloom.quality.registry import get_metric, list_metrics

__all__ = ["Metric", "MetricInfo", "get_metric", "list_metrics"]
