"""`synloom report RUN_DIR [--out FILE.html] [--curation NAME]`."""

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
    curation: Annotated[
        str | None,
        typer.Option(help="report the samples, scores and evaluation of this curation"),
    ] = None,
) -> None:
    """Write a self-contained HTML report: metrics, plots, rejections, leaks, evaluation."""
    from synloom.cli.paths import check_output
    from synloom.report import build_report
    from synloom.report.build import report_file
    from synloom.store.curations import check_curation_name

    if curation is not None:
        check_curation_name(curation)
    if out is not None or run_dir.is_dir():  # else the store reports what run_dir is
        target = out if out is not None else run_dir / report_file(curation)
        check_output(target, run_dir, "the report", create_parents=True)
    path = build_report(run_dir, out, curation)
    say("wrote ", text(path, multiline=False))
