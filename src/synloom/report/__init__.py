"""The HTML report of a run: one self-contained file (inline CSS and SVG, no scripts, no network).

Reads the run store, the scores `synloom score` stored and, when present, `evaluation.json`;
loads no model.
"""

from __future__ import annotations

from synloom.report.build import REPORT_FILE, build_report
from synloom.report.sections import SECTION_TITLES

__all__ = ["REPORT_FILE", "SECTION_TITLES", "build_report"]
