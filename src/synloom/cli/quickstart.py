"""`synloom quickstart`: the whole loop offline on the embedded model, in minutes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synloom.cli.render import console, print_summary, say
from synloom.cli.safe_text import text


def quickstart(
    out: Annotated[Path, typer.Option("--out", "-o", help="run directory")] = Path(
        "runs/quickstart"
    ),
    samples_per_label: Annotated[
        int, typer.Option(min=1, help="synthetic samples per label")
    ] = 120,
    tam: Annotated[str, typer.Option(help="task model: tfidf, embed-lr or finetune")] = "embed-lr",
    test_size: Annotated[
        int,
        typer.Option(
            min=0,
            help="SST-2 test sentences to evaluate on: a label-stratified random subset "
            "(seed 0) that keeps the quickstart within minutes; 0 = all 1,821",
        ),
    ] = 800,
) -> None:
    """Generate SST-2 sentiment data with the few-shot recipe from 12 real seed reviews, train a
    task model on it, and print the three-way table on real SST-2 test sentences shipped inside
    synloom (prompting baseline / task model on synthetic / the same model on 6,920 gold)."""
    from synloom.backends import open_backend
    from synloom.cli.evaluate import check_task_model
    from synloom.cli.output import announce
    from synloom.cli.overrides import apply_overrides
    from synloom.cli.paths import prepare_run_dir
    from synloom.cli.progress import RichProgress, StepBars
    from synloom.evaluate.options import EvaluationOptions
    from synloom.evaluate.table import EVALUATION_FILE, evaluate_run
    from synloom.generate import run_generation
    from synloom.quickstart_data import quickstart_paths, quickstart_test_name, stratified_subset
    from synloom.spec import load_spec

    check_task_model(tam, [])
    paths = quickstart_paths()
    spec = apply_overrides(load_spec(paths.spec), samples_per_label=samples_per_label)
    prepare_run_dir(out)
    if announce():
        say(
            ("1/3", "bold"),
            f" generating {samples_per_label} samples per label into ",
            text(out, multiline=False),
        )
    with open_backend(spec.backend) as backend:  # the embedded model, shared by both steps
        with RichProgress() as progress:
            summary = run_generation(spec, out, backend=backend, progress=progress)
        print_summary(summary)
        summary.raise_if_incomplete()  # never train and evaluate on a short run
        test = stratified_subset(paths.test, test_size)
        if announce():
            say(
                ("2/3", "bold"),
                " training ",
                text(tam, multiline=False),
                " on the synthetic data and on gold; ",
                ("3/3", "bold"),
                f" evaluating on {len(test)} real SST-2 test sentences",
            )
        options = EvaluationOptions(tam=tam)
        with StepBars() as progress:  # prompting baseline, then each task model
            table = evaluate_run(
                out,
                test,
                options,
                gold_train=paths.gold_train,
                backend=backend,
                test_source=quickstart_test_name(paths.test, len(test)),
                progress=progress,
            )
    console.print(text(table.format()))
    say(
        "saved ",
        text(out / EVALUATION_FILE, multiline=False),
        "; inspect the data with: synloom inspect ",
        text(out, multiline=False),
    )
