"""Quality metrics for synthetic datasets: one module per metric, each a pure function.

`synloom.quality.info.list_metrics()` lists them with what they measure, range, direction and
citation. Importing this package imports no model code.
"""

from __future__ import annotations

from synloom.quality.info import MetricInfo, get_metric, list_metrics

__all__ = ["MetricInfo", "get_metric", "list_metrics"]
