"""`synloom evaluate RUN_DIR --test REAL.jsonl [--gold-train REAL_TRAIN.jsonl]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.app import app
from synloom.cli.render import console


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@app.command()
def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="run directory")],
    test: Annotated[Path, typer.Option(help="real labeled test data (JSONL text,label)")],
    gold_train: Annotated[Path | None, typer.Option(help="real labeled training data")] = None,
    tam: Annotated[str, typer.Option(help="task model: tfidf, embed-lr or finetune")] = "tfidf",
    strategies: Annotated[
        str, typer.Option(help="finetune strategies, comma-separated (e.g. label-smoothing,rce)")
    ] = "",
    seeds: Annotated[str, typer.Option(help="comma-separated training seeds")] = "0",
    prompting: Annotated[bool, typer.Option(help="include the prompting baseline row")] = True,
    calibrate: Annotated[
        bool, typer.Option(help="content-free calibration of the baseline")
    ] = False,
    prompt: Annotated[
        str | None,
        typer.Option(
            help="prompt for the baseline instead of the recipe's, e.g. without a {context} "
            "that only generation can fill: 'The movie review in {verbalizer} sentiment is: \"'"
        ),
    ] = None,
) -> None:
    """Three-way table on real data: prompting baseline, TAM on synthetic, TAM on gold."""
    from synloom.errors import SynloomError
    from synloom.evaluate.table import EVALUATION_FILE, evaluate_run

    try:
        seed_list = [int(s) for s in _split(seeds)]
    except ValueError:
        raise SynloomError(f"--seeds must be comma-separated integers, got {seeds!r}") from None
    table = evaluate_run(
        run_dir,
        test,
        gold_train=gold_train,
        tam=tam,
        strategies=_split(strategies),
        seeds=seed_list,
        prompting=prompting,
        calibrate=calibrate,
        prompt_template=prompt,
    )
    console.print(table.format(), markup=False, highlight=False)
    console.print(f"saved {Path(run_dir) / EVALUATION_FILE}")
