"""`build_report`: read a run directory and write its HTML report."""

from __future__ import annotations

from pathlib import Path

from synloom.report.data import collect_report_data
from synloom.report.overview_section import tile_counts
from synloom.report.page import render_page, write_page
from synloom.report.sections import build_sections

REPORT_FILE = "report.html"


def report_file(curation: str | None = None) -> str:
    """The report's default file name: `report.html`, or `report-NAME.html` for a curation."""
    return REPORT_FILE if curation is None else f"report-{curation}.html"


def build_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    curation: str | None = None,
    evaluation: str | None = None,
) -> Path:
    """Write the report of `run_dir` (as curation `curation` left it, if given) to `out`
    (default RUN_DIR/report.html or RUN_DIR/report-NAME.html); returns the path."""
    from importlib import metadata

    data = collect_report_data(run_dir, curation, evaluation)
    c = tile_counts(data.counts, data.rejection_reasons)
    subtitle = (
        f"{c['accepted']} accepted, {c['surplus']} surplus (over budget), {c['rejected']}"
        f" rejected, {c['failed']} failed of {c['planned']} planned requests"
    )
    try:
        version = metadata.version("synloom")
    except metadata.PackageNotFoundError:
        version = "dev"
    html = render_page(
        f"synloom report: {data.name}", subtitle, build_sections(data), str(run_dir), version
    )
    path = Path(out) if out is not None else Path(run_dir) / report_file(curation)
    return write_page(html, path)
