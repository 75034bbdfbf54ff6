"""`synloom generate SPEC --out RUN_DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.progress import RichProgress
from synloom.cli.render import print_summary


def generate(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="task spec (YAML)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="run directory (resumes if it exists)")],
    samples_per_label: Annotated[
        int | None, typer.Option(min=1, help="override generation.samples_per_label")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="override generation.batch_size")] = None,
    seed: Annotated[int | None, typer.Option(help="override the spec's seed")] = None,
    backend: Annotated[str | None, typer.Option(help="local, openai or vllm")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL")] = None,
    model: Annotated[str | None, typer.Option(help="model id, path, or 'embedded'")] = None,
    adapter: Annotated[
        str | None, typer.Option(help="adapter directory from `synloom adapt` (local backend)")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="completions or chat (openai backend; chat sends system + user messages)"
        ),
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="environment variable holding the API key (openai backend)")
    ] = None,
    temperature: Annotated[
        float | None, typer.Option(min=0.0, help="override generation.temperature")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(min=1, help="override generation.max_new_tokens")
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            help="where batches run: local (this process) or ray (Ray actors, each with its own"
            " backend; the 'ray' extra); sets generation.executor, never changes the data",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="override any spec field, KEY.PATH=VALUE (value read as YAML), e.g. "
            "recipe.min_words=5; repeatable",
        ),
    ] = None,
    allow_outside_paths: Annotated[
        bool, typer.Option(help="let the spec name files outside its own folder")
    ] = False,
) -> None:
    """Generate labeled samples into RUN_DIR; rerunning the same command resumes."""
    from synloom.cli.overrides import apply_overrides
    from synloom.cli.paths import prepare_run_dir
    from synloom.generate import run_generation
    from synloom.spec import load_spec

    spec = apply_overrides(
        load_spec(spec_path, allow_outside_paths=allow_outside_paths),
        samples_per_label=samples_per_label,
        batch_size=batch_size,
        seed=seed,
        backend=backend,
        base_url=base_url,
        model=model,
        adapter=adapter,
        endpoint=endpoint,
        api_key_env=api_key_env,
        temperature=temperature,
        max_tokens=max_tokens,
        sets=[*([f"generation.executor={executor}"] if executor else []), *(set_ or [])],
    )
    prepare_run_dir(out)
    with RichProgress() as progress:
        summary = run_generation(spec, out, progress=progress)
    print_summary(summary)
    summary.raise_if_incomplete()  # a short run exits 3, so `generate && export` stops here
