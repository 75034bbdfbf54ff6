"""`synloom report RUN_DIR [RUN_DIR ...] [--out FILE.html] [--curation NAME]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.render import say
from synloom.cli.safe_text import text


def report(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN_DIR",
            help="run directory; two or more: one page comparing them side by side",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="HTML file (default RUN_DIR/report.html; comparing: ./synloom-compare.html)",
        ),
    ] = None,
    curation: Annotated[
        str | None,
        typer.Option(help="report the samples, scores and evaluation of this curation"),
    ] = None,
    evaluation: Annotated[
        str | None,
        typer.Option(
            help="show this kept evaluation (synloom inspect lists them); default: latest"
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report: overview with prompt and decoding, a sample explorer,
    metrics, plots, rejections, leaks, evaluation; several runs: a side-by-side comparison."""
    from synloom.cli.paths import check_output
    from synloom.report import build_report
    from synloom.report.build import report_file
    from synloom.report.compare import COMPARE_FILE, build_comparison
    from synloom.store.curations import check_curation_name

    if curation is not None:
        check_curation_name(curation)
    if len(run_dirs) > 1 and evaluation is not None:
        from synloom.errors import SynloomError

        raise SynloomError("--evaluation names one run's evaluation; compare runs without it")
    if len(run_dirs) > 1:
        target = out if out is not None else Path(COMPARE_FILE)
        for run_dir in run_dirs:
            check_output(target, run_dir, "the report", create_parents=True)
        path = build_comparison(run_dirs, out, curation)
        say("wrote ", text(path, multiline=False))
        return
    run_dir = run_dirs[0]
    if out is not None or run_dir.is_dir():  # else the store reports what run_dir is
        target = out if out is not None else run_dir / report_file(curation)
        check_output(target, run_dir, "the report", create_parents=True)
    path = build_report(run_dir, out, curation, evaluation)
    say("wrote ", text(path, multiline=False))
