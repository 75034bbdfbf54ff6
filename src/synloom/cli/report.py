"""`synloom report RUN_DIR [--out FILE.html]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.render import say
from synloom.cli.safe_text import text


def report(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file (default RUN_DIR/report.html)")
    ] = None,
) -> None:
    """Write a self-contained HTML report: metrics, plots, rejections, leaks, evaluation."""
    from synloom.cli.paths import check_output
    from synloom.report import build_report
    from synloom.report.build import REPORT_FILE

    if out is not None or run_dir.is_dir():  # else the store reports what run_dir is
        target = out if out is not None else run_dir / REPORT_FILE
        check_output(target, run_dir, "the report", create_parents=True)
    path = build_report(run_dir, out)
    say("wrote ", text(path, multiline=False))
