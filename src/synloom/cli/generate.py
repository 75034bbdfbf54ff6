"""`synloom generate SPEC --out RUN_DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.app import app
from synloom.cli.progress import RichProgress
from synloom.cli.render import print_summary


@app.command()
def generate(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="task spec (YAML)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="run directory (resumes if it exists)")],
    samples_per_label: Annotated[
        int | None, typer.Option(help="override generation.samples_per_label")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="override generation.batch_size")] = None,
    seed: Annotated[int | None, typer.Option(help="override the spec's seed")] = None,
    backend: Annotated[str | None, typer.Option(help="local or openai")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL")] = None,
    model: Annotated[str | None, typer.Option(help="model id, path, or 'embedded'")] = None,
) -> None:
    """Generate labeled samples into RUN_DIR; rerunning the same command resumes."""
    from synloom.cli.overrides import apply_overrides
    from synloom.generate import run_generation
    from synloom.spec import load_spec

    spec = apply_overrides(
        load_spec(spec_path),
        samples_per_label=samples_per_label,
        batch_size=batch_size,
        seed=seed,
        backend=backend,
        base_url=base_url,
        model=model,
    )
    with RichProgress() as progress:
        summary = run_generation(spec, out, progress=progress)
    print_summary(summary)
