"""`synloom report RUN_DIR [--out FILE.html]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.app import app
from synloom.cli.render import console


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file (default RUN_DIR/report.html)")
    ] = None,
) -> None:
    """Write a self-contained HTML report: metrics, plots, rejections, leaks, evaluation."""
    from synloom.report import build_report

    path = build_report(run_dir, out)
    console.print(f"wrote {path}", markup=False, highlight=False)
