"""The engine: plans requests deterministically, runs batches, writes the store, resumes."""

from __future__ import annotations

from synloom.generate.engine import GenerationSummary, ProgressSink, run_generation

__all__ = ["GenerationSummary", "ProgressSink", "run_generation"]
