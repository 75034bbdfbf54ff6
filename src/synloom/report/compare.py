"""`build_comparison`: several runs side by side in one self-contained page (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from synloom.report.compare_sections import COMPARE_SECTIONS, run_names
from synloom.report.data import collect_report_data
from synloom.report.page import render_page, write_page

COMPARE_FILE = "synloom-compare.html"  # the default output, in the current directory


def build_comparison(
    run_dirs: Sequence[str | Path], out: str | Path | None = None, curation: str | None = None
) -> Path:
    """Write the comparison of `run_dirs` (each as curation `curation` left it, if given) to
    `out` (default ./synloom-compare.html); returns the path. Every run is read before anything
    is written: a run that cannot be read is a one-line StoreError and nothing is written."""
    from importlib import metadata

    from synloom.errors import SynloomError

    if len(run_dirs) < 2:
        raise SynloomError("a comparison needs at least two runs")
    resolved = [Path(d).resolve() for d in run_dirs]
    twice = next((d for i, d in enumerate(resolved) if d in resolved[:i]), None)
    if twice is not None:
        raise SynloomError(f"{twice} is given twice; compare different runs")
    runs = [collect_report_data(d, curation) for d in run_dirs]
    names = run_names(runs)
    try:
        version = metadata.version("synloom")
    except metadata.PackageNotFoundError:
        version = "dev"
    title = "synloom comparison: " + " vs ".join(names)
    subtitle = f"{len(runs)} runs side by side" + (f", curation {curation}" if curation else "")
    sections = [make(runs) for make in COMPARE_SECTIONS]
    sources = ", ".join(str(d) for d in run_dirs)
    html = render_page(title, subtitle, sections, sources, version)
    path = Path(out) if out is not None else Path(COMPARE_FILE)
    return write_page(html, path)
