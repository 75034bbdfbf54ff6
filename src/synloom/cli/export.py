"""`synloom export RUN_DIR --format jsonl|parquet|hf [--curation NAME]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def export(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl, parquet or hf")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="target path")] = None,
    curation: Annotated[
        str | None,
        typer.Option(help="export the samples this curation keeps (with their weights)"),
    ] = None,
) -> None:
    """Write the accepted samples of a run (or the ones a curation keeps)."""
    from synloom.cli.paths import check_output
    from synloom.cli.render import say
    from synloom.cli.safe_text import text
    from synloom.errors import SynloomError
    from synloom.store.export import FORMATS, default_name, export_run

    if format not in FORMATS:
        raise SynloomError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    target = out if out is not None else run_dir / default_name(format, curation)
    if out is not None or run_dir.is_dir():  # else the store reports what run_dir is
        check_output(target, run_dir, "the export", directory=format == "hf")
    try:
        path = export_run(run_dir, format, target, curation=curation)
    except OSError as exc:
        raise SynloomError(f"cannot write {target}: {exc.strerror or exc}") from None
    say(text(path, multiline=False))
