"""The HTML report of a run: one self-contained file (inline CSS and SVG, no network; one inline
script, the sample explorer's, which the page's CSP allows by its hash and nothing else), and
the side-by-side comparison of several runs (`build_comparison`, no script).

Reads the run store, the scores `synloom score` stored, the curations' per-sample scores and,
when present, `evaluation.json`; loads no model.
"""

from __future__ import annotations

from synloom.report.build import REPORT_FILE, build_report
from synloom.report.compare import build_comparison
from synloom.report.sections import SECTION_TITLES

__all__ = ["REPORT_FILE", "SECTION_TITLES", "build_comparison", "build_report"]
