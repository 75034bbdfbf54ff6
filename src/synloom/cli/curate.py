"""`synloom curate RUN_DIR --method NAME [--method NAME ...] [--keep F | --per-label N]
[--executor local|ray] [--ray-workers N]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.render import console, say
from synloom.cli.safe_text import text


def curate(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    method: Annotated[
        list[str],
        typer.Option(
            "--method",
            "-m",
            help="curation method, in order (repeat to compose): likelihood, margin, judge, "
            "consistency, cartography, sungen, msp-denoise, random",
        ),
    ],
    keep: Annotated[
        float | None, typer.Option(help="keep this fraction of each label's samples (0-1]")
    ] = None,
    per_label: Annotated[int | None, typer.Option(help="keep this many samples per label")] = None,
    same_size_as: Annotated[
        str | None,
        typer.Option(help="keep as many per label as this curation did (the random control)"),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="curation name (default from methods and size)")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="method option METHOD.KEY=VALUE, e.g. margin.threshold=0.5"),
    ] = None,
    seed_data: Annotated[
        Path | None,
        typer.Option(help="real labeled examples (JSONL text,label) instead of the spec's seeds"),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seed (default: the run's)")] = None,
    reuse: Annotated[
        bool,
        typer.Option(
            help="take a per-sample method's scores from another curation of the run that"
            " scored them the same way (same options, seed and seed data) instead of"
            " computing them again",
        ),
    ] = True,
    replace: Annotated[
        bool, typer.Option(help="replace a curation of that name made with other settings")
    ] = False,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="samples a per-sample method scores between two saves")
    ] = 256,
    executor: Annotated[
        str,
        typer.Option(
            help="where embeddings and model-free per-sample methods run: local (this process)"
            " or ray (Ray Data workers; the 'ray' extra); the decisions are the same"
        ),
    ] = "local",
    ray_workers: Annotated[int, typer.Option(help="Ray Data workers (--executor ray)")] = 2,
) -> None:
    """Score, filter, rank and reweight a run's samples; stores decisions beside them (samples
    never change). Rerunning the same command resumes."""
    from rich.table import Table

    from synloom.cli.progress import StepBars
    from synloom.curate.pipeline import SizeTarget
    from synloom.curate.runner import curate_run
    from synloom.curate.settings import CurationRequest, parse_sets
    from synloom.store import RunStore

    request = CurationRequest(
        methods=tuple(method),
        size=SizeTarget(keep=keep, per_label=per_label),
        same_size_as=same_size_as,
        options=parse_sets(set_ or []),
        seed=seed,
        name=name,
    )
    if same_size_as is not None and (keep is not None or per_label is not None):
        from synloom.errors import SynloomError

        raise SynloomError("give at most one of --keep, --per-label and --same-size-as")
    request.loaded()  # bad options fail before the run is opened
    from synloom.quality.ray_data import check_executor

    check_executor(executor, ray_workers)
    RunStore(run_dir).close()  # a missing or foreign directory fails here, before any model
    if executor == "ray":
        from synloom.generate.ray_executor import import_ray

        import_ray()  # a missing extra is one line before anything runs
    with StepBars() as progress:
        result = curate_run(
            run_dir,
            request,
            seed_data_path=seed_data,
            replace=replace,
            reuse=reuse,
            chunk_size=chunk_size,
            say=lambda msg: say(text(msg, multiline=False)),
            progress=progress,
            executor=executor,
            ray_workers=ray_workers,
        )
    summary = result.summary
    table = Table(title=text(f"curation {result.name} of {run_dir}", multiline=False))
    steps = summary.get("steps", [])
    table.add_column("label")
    table.add_column("pool", justify="right")
    for step in steps:
        table.add_column(f"−{step['method']}", justify="right")
    table.add_column("kept", justify="right")
    if summary.get("weighted"):
        table.add_column("mean weight", justify="right")
    for label, pool in summary.get("pool", {}).items():
        row = [text(label), str(pool)]
        row += [str(step["dropped"].get(label, 0)) for step in steps]
        row.append(str(summary["kept"].get(label, 0)))
        if summary.get("weighted"):
            row.append(f"{summary.get('mean_weight', {}).get(label, 0.0):.3f}")
        table.add_row(*row)
    console.print(table)
    say(
        "use it with --curation ",
        text(result.name, multiline=False),
        " on export, evaluate, score and report",
    )
