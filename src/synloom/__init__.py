"""synloom: task-specific training data from frozen LLMs, proven on real test sets."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
