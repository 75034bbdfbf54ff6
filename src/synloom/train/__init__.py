"""Task models (TAMs) trained on synthetic or real labeled data, and noisy-label strategies.

Heavy dependencies (torch, transformers, scikit-learn) load only when a model is used.
"""

from __future__ import annotations

from synloom.train.data import LabeledData, load_labeled_data
from synloom.train.registry import STRATEGIES, TASK_MODELS, create_task_model

__all__ = ["STRATEGIES", "TASK_MODELS", "LabeledData", "create_task_model", "load_labeled_data"]
