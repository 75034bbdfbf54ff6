"""`synloom evaluate RUN_DIR --test REAL.jsonl [--gold-train REAL_TRAIN.jsonl] [--curation NAME]
[--name NAME [--replace]]`: each evaluation is kept under its name, beside the earlier ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from synloom.cli.render import console, say
from synloom.cli.safe_text import text

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_SEED = 2**32 - 1


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_seeds(value: str) -> list[int]:
    """`--seeds 0,1,2`: at least one integer in [0, 2**32 - 1]."""
    from synloom.errors import SynloomError

    try:
        seeds = [int(s) for s in _split(value)]
    except ValueError:
        raise SynloomError(f"--seeds must be comma-separated integers, got {value!r}") from None
    if not seeds:
        raise SynloomError("--seeds needs at least one integer")
    bad = [s for s in seeds if not 0 <= s <= MAX_SEED]
    if bad:
        raise SynloomError(f"--seeds must be between 0 and {MAX_SEED}; got {bad[0]}")
    return seeds


def check_task_model(tam: str, strategies: Sequence[str]) -> None:
    """Fail on an unknown task model or strategy now, not after minutes of other work."""
    from synloom.errors import SynloomError
    from synloom.train.registry import TASK_MODELS, strategy_options

    if tam not in TASK_MODELS:
        raise SynloomError(f"unknown task model {tam!r}; choose one of {', '.join(TASK_MODELS)}")
    strategy_options(strategies)
    if strategies and tam != "finetune":
        raise SynloomError(
            f"training strategies ({', '.join(strategies)}) need --tam finetune, not {tam!r}"
        )


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
    curation: Annotated[
        str | None,
        typer.Option(
            help="train on the samples this curation keeps (with its weights); saved as "
            "evaluation-NAME.json"
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="keep this evaluation as RUN_DIR/evaluations/NAME.json (default: the time it"
            " finished); evaluation.json is always a copy of the latest"
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="overwrite the evaluation of the same --name")
    ] = False,
) -> None:
    """Three-way table on real data: prompting baseline, TAM on synthetic, TAM on gold."""
    from synloom.cli.progress import StepBars
    from synloom.evaluate.options import EvaluationOptions
    from synloom.evaluate.table import evaluate_run, evaluation_file
    from synloom.store.artifacts import EVALUATIONS_DIR, check_evaluation_name
    from synloom.store.artifacts.evaluations import check_new_name

    seed_list = parse_seeds(seeds)
    options = EvaluationOptions(
        tam=tam,
        strategies=tuple(_split(strategies)),
        seeds=tuple(seed_list),
        prompting=prompting,
        calibrate=calibrate,
        prompt_template=prompt,
    )
    check_task_model(options.tam, options.strategies)
    if name is not None:
        check_evaluation_name(name)
        if run_dir.is_dir():  # else the store reports what run_dir is
            check_new_name(run_dir, name, replace=replace)
    with StepBars() as progress:
        table = evaluate_run(
            run_dir,
            test,
            options,
            gold_train=gold_train,
            curation=curation,
            name=name,
            replace_name=replace,
            progress=progress,
        )
    console.print(text(table.format()))
    for note in table.notes():
        say("note: ", text(note, multiline=False))
    saved = Path(run_dir) / EVALUATIONS_DIR / f"{table.name}.json"
    latest = Path(run_dir) / evaluation_file(curation)
    say(
        "saved ",
        text(saved, multiline=False),
        " (the latest, also ",
        text(latest, multiline=False),
        ")",
    )
