"""`synloom export RUN_DIR --format jsonl|parquet|hf`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.app import app


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl, parquet or hf")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="target path")] = None,
) -> None:
    """Write the accepted samples of a run."""
    from synloom.store.export import export_run

    print(export_run(run_dir, format, out))
